"""The engine's events connection as a real Asterisk 22 recorded it: a hang-up lost in an
outage of the WebSocket, found on reconnecting; another client taking the application over."""

from __future__ import annotations

import logging

from acd.ari.events import Channel
from acd.engine.contacts import Phase
from foundation.contact import ContactEventKind, Outcome
from tests.engine.engine_replay import recorded_setup, replaying
from tests.engine.recorded import callers, find, load, response, websocket_opened

K = ContactEventKind


async def test_a_hangup_lost_in_an_events_outage_is_found_on_reconnect_and_the_other_kept():
    entries = load("ws_reconnect.jsonl")
    a, b = callers(entries)
    replay, sink = await replaying(entries, recorded_setup())
    ari = replay.ari
    reconnected = find(entries, websocket_opened, find(entries, websocket_opened) + 1)

    await replay.run(reconnected)
    # Both callers queued; then the outage, during which caller B hung up: nothing came.
    assert [c.args for c in ari.made] == [(a,), (a, "default"), (b,), (b, "default")]
    assert len(replay.runtime.core.contacts) == 2
    listing = entries[find(entries, response("GET", "/ari/channels"), reconnected)]
    ari.channels = [Channel.parse(c) for c in listing["body"]]
    assert [c.id for c in ari.channels] == [a]

    await replay.run(reconnected + 1)  # on_connected(first=False): the resync
    assert len(ari.called("list_channels")) == 2  # at the first connection, and now
    (left,) = replay.runtime.core.contacts.values()
    assert (left.caller_channel, left.phase) == (a, Phase.QUEUED)  # A kept, still waiting
    ended = sink.contacts[-1]
    assert (ended.kind, ended.contact.channel_id) == (K.ENDED, b)
    assert ended.contact.outcome is Outcome.ABANDONED
    assert len(ari.made) == 4  # nothing asked of ARI for B (gone) nor again for A

    await replay.run()  # A's StasisEnd arrives on the new connection
    assert not replay.runtime.core.contacts
    assert [e.contact.channel_id for e in sink.contacts if e.kind is K.ENDED] == [b, a]
    assert len(ari.made) == 4


async def test_application_replaced_is_logged_and_changes_nothing(caplog):
    # Only the events: the second WebSocket in this trace is the other client's, not ours.
    entries = [e for e in load("app_replaced.jsonl") if e["dir"] == "event"]
    replay, sink = await replaying(entries, recorded_setup())
    with caplog.at_level(logging.ERROR):
        await replay.run()
    assert "another client took over the ARI app 'acd'" in caplog.text
    assert replay.ari.made == []
    assert sink.contacts == []
