"""``escalation_points.yaml``: required, every field of the seed read into the model, each
mistake refused with file, key and reason, and every line code of the lines linked to at
least one point."""

from __future__ import annotations

from datetime import date

import pytest

from acd.settings import load_settings
from escalations import MailChannel
from tests.settings.conftest import WriteConfig
from tests.settings.test_errors import messages

FILE = "config/escalation_points.yaml"
TAXES = (
    '{id: vlabel, editorial_title: "VLABEL", email: "v@example.org",'
    ' line_codes: ["1700 Belastingen"]}'
)


def points(*entries: str) -> str:
    return "escalation_points:\n" + "".join(f"  - {entry}\n" for entry in entries)


def test_every_field_of_the_seed_is_read(write_config: WriteConfig) -> None:
    text = (
        """\
escalation_points:
  - id: anb-jacht
    editorial_title: "ANB - Team Jacht"
    public_title: "Agentschap voor Natuur en Bos - Team Jacht"
    instructions: "Escalatie per mail? Vermeld altijd rijksregisternummer."
    content: "Jachtvergunningen"
    phone: "011 12 34 56"
    may_transfer: true
    transfer_mode: closed
    may_give_number: false
    email: "jacht@example.org"
    may_send_email: true
    may_give_email: true
    mail_channel: crm
    email_template: "1700"
    deviations:
      - {date: 2022-12-15, text: "Telefonisch niet bereikbaar op donderdag 15-12-2022"}
      - {from: 2022-12-26, to: 2022-12-30, text: "Kerstvakantie: enkel voormiddag",
         slots: ["09:00-12:00"]}
    reachability: {mon: ["09:00-12:00", "13:00-16:00"], fri: ["09:00-12:00"]}
    follows_public_holidays: false
    scheduled_changes:
      - {on: 2023-01-02, set: {phone: "02 553 21 00", handling_days: 10}}
    handling_days: 7
    handling_info: "Voor dossiers die meer onderzoek vereisen, kan het weken duren."
    line_codes: ["1700 Andere Vragen"]
    reporting_organisation: "Agentschap voor Natuur en Bos"
    reporting_theme: "Natuur"
    editorial_domains: ["Omgeving"]
"""
        + f"  - {TAXES}\n"
    )
    settings = load_settings(write_config({"escalation_points.yaml": text}), env={})
    point = settings.escalation_point_models()[0]
    assert point.public_title == "Agentschap voor Natuur en Bos - Team Jacht"
    assert (point.phone, point.phone_e164) == ("011 12 34 56", "+3211123456")
    assert point.mail_channel is MailChannel.CRM
    assert point.deviations[1].end == date(2022, 12, 30)
    assert [str(s) for s in point.deviations[1].slots] == ["09:00-12:00"]
    assert [str(s) for s in point.reachability[0]] == ["09:00-12:00", "13:00-16:00"]
    assert not point.follows_public_holidays
    (change,) = point.scheduled_changes
    assert (change.on, dict(change.changes)) == (
        date(2023, 1, 2),
        {"phone": "02 553 21 00", "handling_days": 10},
    )
    assert (point.handling_days, point.editorial_domains) == (7, ("Omgeving",))


def test_the_file_is_required(write_config: WriteConfig) -> None:
    assert messages(write_config({"escalation_points.yaml": None})) == [
        f"{FILE}: required file is missing"
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            '{id: a, editorial_title: "A", phone: "011/12.34.56"}',
            "escalation_points[0].phone: '011/12.34.56' is not a phone number as the seed writes"
            " them: digits with single spaces between groups (such as 011 12 34 56), no slashes,"
            " dots or letters",
        ),
        (
            '{id: a, editorial_title: "A", phone: "011  12 34 56"}',
            "escalation_points[0].phone: '011  12 34 56' is not a phone number as the seed",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org", may_transfer: true}',
            "escalation_points[0].may_transfer: a phone transfer needs a phone number",
        ),
        (
            '{id: a, editorial_title: "A"}',
            "escalation_points[0].phone: a point needs a phone number or an e-mail address",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org", transfer_mode: open}',
            "escalation_points[0].transfer_mode: must be 'closed', not 'open'",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org",'
            " deviations: [{date: 2022-12-15}]}",
            "escalation_points[0].deviations[0]: missing required key 'text'",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org",'
            ' reachability: {mon: ["09:00-12:00", "11:00-13:00"]}}',
            "escalation_points[0].reachability.mon[1]: '11:00-13:00' overlaps '09:00-12:00'",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org",'
            ' scheduled_changes: [{on: 2023-01-02, set: {email: "nope"}}]}',
            "escalation_points[0].scheduled_changes[0].set.email: 'nope' is not an e-mail address",
        ),
        (
            '{id: a, editorial_title: "A", email: "a@example.org", line_codes: ["1700 Wonen"]}',
            "escalation_points[0].line_codes[0]: '1700 Wonen' is not defined in line_codes.yaml",
        ),
    ],
)
def test_mistakes_name_the_point_and_the_key(
    write_config: WriteConfig, entry: str, expected: str
) -> None:
    found = messages(write_config({"escalation_points.yaml": points(entry, TAXES)}))
    assert any(message.startswith(f"{FILE}: {expected}") for message in found), found


def test_a_line_code_without_escalation_point_is_refused_naming_it(
    write_config: WriteConfig,
) -> None:
    assert messages(write_config({"escalation_points.yaml": points(TAXES)})) == [
        f"{FILE}: escalation_points: line code '1700 Andere Vragen' (line '1700') has no"
        " escalation point: link at least one"
    ]


def test_a_scheduled_change_that_unlinks_the_last_point_is_refused_with_its_date(
    write_config: WriteConfig,
) -> None:
    leaving = (
        '{id: a, editorial_title: "A", email: "a@example.org",'
        ' scheduled_changes: [{on: 2027-01-04, set: {line_codes: ["1700 Belastingen"]}}]}'
    )
    assert messages(write_config({"escalation_points.yaml": points(leaving, TAXES)})) == [
        f"{FILE}: escalation_points: line code '1700 Andere Vragen' (line '1700') has no"
        " escalation point from 2027-01-04 on (a scheduled change unlinks it): link at least one"
    ]


def test_two_points_with_one_id_are_refused(write_config: WriteConfig) -> None:
    twice = '{id: vlabel, editorial_title: "B", email: "b@example.org"}'
    assert messages(write_config({"escalation_points.yaml": points(TAXES, twice)})) == [
        f"{FILE}: escalation_points[1].id: 'vlabel' is already the id of escalation_points[0]"
    ]
