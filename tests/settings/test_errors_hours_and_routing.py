"""Mistakes in calendars.yaml, in the line options and routing steps, and in the engine's offer
settings: each refused with ``file: key: reason``."""

from __future__ import annotations

import pytest

from tests.settings.conftest import WriteConfig
from tests.settings.test_errors import messages


def line(extra: str) -> str:
    codes = '["1700 Andere Vragen", "1700 Belastingen"]'
    return f'lines:\n  - {{id: "1700", name: "1700", line_codes: {codes}{extra}}}\n'


def code(extra: str) -> str:
    first = f'{{name: "1700 Andere Vragen"{extra}}}'
    return f'line_codes:\n  - {first}\n  - {{name: "1700 Belastingen"}}\n'


def calendar(extra: str, weekly: str = "{mon: ['09:00-19:00']}") -> str:
    return f"calendars:\n  - {{name: a, weekly: {weekly}{extra}}}\n"


CAL = "config/calendars.yaml: calendars[0]"
LINES = "config/lines.yaml: lines[0]"
CODES = "config/line_codes.yaml: line_codes[0]"

CASES = [
    # --- calendars.yaml -----------------------------------------------------------------------
    (
        "calendars.yaml",
        calendar("", "{mon: ['09:00-13:00', '12:00-14:00']}"),
        f"{CAL}.weekly.mon[1]: '12:00-14:00' overlaps '09:00-13:00'",
    ),
    (
        "calendars.yaml",
        calendar("", "{mon: ['19:00-09:00']}"),
        f"{CAL}.weekly.mon[0]: '19:00-09:00' does not end after it starts",
    ),
    (
        "calendars.yaml",
        calendar("", "{mon: ['9-17']}"),
        f"{CAL}.weekly.mon[0]: '9-17' is not a time slot (HH:MM-HH:MM)",
    ),
    ("calendars.yaml", calendar("", "{mo: ['09:00-13:00']}"), f"{CAL}.weekly: unknown key 'mo'"),
    (
        "calendars.yaml",
        calendar("", "{mon: '09:00-19:00'}"),
        f"{CAL}.weekly.mon: expected a list, got text",
    ),
    (
        "calendars.yaml",
        calendar(", timezone: Europe/Brussel"),
        f"{CAL}.timezone: 'Europe/Brussel' is not a known time zone (such as Europe/Brussels)",
    ),
    (
        "calendars.yaml",
        calendar(", holidays: {country: XX}"),
        f"{CAL}.holidays.country: the holidays package has no holidays for 'XX'",
    ),
    (
        "calendars.yaml",
        calendar(", holidays: {subdiv: Wallonia}"),
        f"{CAL}.holidays.subdiv: 'Wallonia' is not a subdivision of BE (Flemish, French, German)",
    ),
    (
        "calendars.yaml",
        calendar(", holidays: {language: vl}"),
        f"{CAL}.holidays.language: 'vl' is not a language of BE's holidays (de, en_US, fr, nl, uk)",
    ),
    ("calendars.yaml", calendar(", holidays: BE"), f"{CAL}.holidays: expected a mapping, got text"),
    (
        "calendars.yaml",
        calendar(", closures: [{from: '2027-12-27T09:00', to: '2027-12-24T16:00'}]"),
        f"{CAL}.closures[0].to: must be after from (2027-12-27T09:00)",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{from: '2027-12-27T09:00'}]"),
        f"{CAL}.closures[0].to: is required with from",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{to: '2027-12-27T09:00'}]"),
        f"{CAL}.closures[0].from: is required with to",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{note: x}]"),
        f"{CAL}.closures[0]: needs a date, or from and to",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{date: 2027-07-11, from: '2027-12-27T09:00'}]"),
        f"{CAL}.closures[0]: give either date, or from and to, not both",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{date: 2027-13-01}]"),
        f"{CAL}.closures[0].date: '2027-13-01' is not a date (YYYY-MM-DD)",
    ),
    (
        "calendars.yaml",
        calendar(", closures: [{from: '2027-12-27T09:00+01:00', to: '2027-12-28T09:00'}]"),
        f"{CAL}.closures[0].from: '2027-12-27T09:00+01:00' is not a date and time"
        " (YYYY-MM-DDTHH:MM, local time without offset)",
    ),
    (
        "calendars.yaml",
        calendar(", openings: [{date: 2027-07-10, slots: []}]"),
        f"{CAL}.openings[0].slots: must not be empty",
    ),
    (
        "calendars.yaml",
        calendar(
            ", openings: [{date: 2027-07-10, slots: ['10:00-12:00']},"
            " {date: 2027-07-10, slots: ['13:00-15:00']}]"
        ),
        f"{CAL}.openings[1].date: 2027-07-10 is already the date of openings[0]",
    ),
    (
        "calendars.yaml",
        calendar(", messages: [{date: 2027-07-10, prompt: hello}]"),
        f"{CAL}.messages[0].prompt: 'hello' is not a media URI (such as sound:hello-world)",
    ),
    (
        "calendars.yaml",
        calendar("") + "  - {name: a, weekly: {}}\n",
        "config/calendars.yaml: calendars[1].name: 'a' is already defined at calendars[0]",
    ),
    ("calendars.yaml", "calendars: [{name: a}]", f"{CAL}: missing required key 'weekly'"),
    # --- lines.yaml ---------------------------------------------------------------------------
    (
        "lines.yaml",
        line(", calendar: nope"),
        f"{LINES}.calendar: 'nope' is not defined in calendars.yaml",
    ),
    (
        "lines.yaml",
        line(", closed_prompts: {holiday: hello}"),
        f"{LINES}.closed_prompts.holiday[0]: 'hello' is not a media URI"
        " (such as sound:hello-world)",
    ),
    (
        "lines.yaml",
        line(', closed_prompts: {holidays: "sound:x"}'),
        f"{LINES}.closed_prompts: unknown key 'holidays'",
    ),
    (
        "lines.yaml",
        line(", at_closing: close"),
        f"{LINES}.at_closing: must be 'keep_serving' or 'close_queue', not 'close'",
    ),
    (
        "lines.yaml",
        line(', menu: {prompt: "sound:m", options: {"1": "1700 Wonen"}}'),
        f"{LINES}.menu.options['1']: '1700 Wonen' is not one of the line's line_codes",
    ),
    (
        "lines.yaml",
        line(', recording: {share: 0.1, line_codes: {"1700 Wonen": 0.5}}'),
        f"{LINES}.recording.line_codes['1700 Wonen']: '1700 Wonen' is not one of the line's"
        " line_codes",
    ),
    (
        "lines.yaml",
        line(', recording: {line_codes: {"1700 Belastingen": 1.5}}'),
        f"{LINES}.recording.line_codes['1700 Belastingen']: must be at most 1, not 1.5",
    ),
    (
        "lines.yaml",
        line(", recording: {share: -0.1}"),
        f"{LINES}.recording.share: must be at least 0, not -0.1",
    ),
    (
        "lines.yaml",
        line(", survey: {enabled: true, share: 1.2}"),
        f"{LINES}.survey.share: must be at most 1, not 1.2",
    ),
    (
        "lines.yaml",
        line(", survey: {enabled: true, questions: []}"),
        f"{LINES}.survey.questions: must not be empty",
    ),
    (
        "lines.yaml",
        line(", survey: {questions: [{id: wait, prompt: []}]}"),
        f"{LINES}.survey.questions[0].prompt: must not be empty",
    ),
    (
        "lines.yaml",
        line(', survey: {questions: [{id: wait, prompt: "acd-survey-wait"}]}'),
        f"{LINES}.survey.questions[0].prompt[0]: 'acd-survey-wait' is not a media URI"
        " (such as sound:hello-world)",
    ),
    (
        "lines.yaml",
        line(
            ', survey: {questions: [{id: wait, prompt: "sound:a"}, {id: wait, prompt: "sound:b"}]}'
        ),
        f"{LINES}.survey.questions[1].id: 'wait' is listed twice",
    ),
    (
        "lines.yaml",
        line(', survey: {thanks: "thanks.wav"}'),
        f"{LINES}.survey.thanks[0]: 'thanks.wav' is not a media URI (such as sound:hello-world)",
    ),
    (
        "lines.yaml",
        line(", survey: {answer_timeout_s: 0}"),
        f"{LINES}.survey.answer_timeout_s: must be greater than 0, not 0",
    ),
    (
        "lines.yaml",
        line(', menu: {prompt: "sound:m", options: {"12": "1700 Belastingen"}}'),
        f"{LINES}.menu.options['12']: '12' is not a DTMF digit (0-9, * or #)",
    ),
    (
        "lines.yaml",
        line(', menu: {prompt: "sound:m", options: {}}'),
        f"{LINES}.menu.options: must not be empty",
    ),
    (
        "lines.yaml",
        line(', menu: {prompt: "sound:m", options: ["1700 Belastingen"]}'),
        f"{LINES}.menu.options: expected a mapping digit: line code, got a list",
    ),
    (
        "lines.yaml",
        line(', menu: {options: {"1": "1700 Belastingen"}}'),
        f"{LINES}.menu: missing required key 'prompt'",
    ),
    (
        "lines.yaml",
        line(', menu: {prompt: "sound:m", options: {"1": "1700 Belastingen"}, max_tries: 0}'),
        f"{LINES}.menu.max_tries: must be at least 1, not 0",
    ),
    (
        "lines.yaml",
        line(", announcements: {enabled: true, position: false, estimated_wait: false}"),
        f"{LINES}.announcements: enabled, but neither position nor estimated_wait is on",
    ),
    (
        "lines.yaml",
        line(", announcements: {interval_s: 0}"),
        f"{LINES}.announcements.interval_s: must be greater than 0, not 0",
    ),
    (
        "lines.yaml",
        line(", no_agents: {action: fallback}"),
        f"{LINES}.no_agents.fallback_line_code: is required when action is fallback",
    ),
    (
        "lines.yaml",
        line(', no_agents: {action: fallback, fallback_line_code: "1700 Wonen"}'),
        f"{LINES}.no_agents.fallback_line_code: '1700 Wonen' is not defined in line_codes.yaml",
    ),
    (
        "lines.yaml",
        line(", no_agents: {action: message}"),
        f"{LINES}.no_agents.prompt: is required when action is message",
    ),
    (
        "lines.yaml",
        line(", no_agents: {action: hangup}"),
        f"{LINES}.no_agents.action: must be 'wait', 'fallback' or 'message', not 'hangup'",
    ),
    (
        "lines.yaml",
        line(", rejoin_window_s: -1"),
        f"{LINES}.rejoin_window_s: must be at least 0, not -1",
    ),
    # --- line_codes.yaml ----------------------------------------------------------------------
    (
        "line_codes.yaml",
        code(", policy: fastest"),
        f"{CODES}.policy: must be 'longest_idle', 'most_proficient', 'fewest_contacts',"
        " 'least_talk_time' or 'round_robin', not 'fastest'",
    ),
    ("line_codes.yaml", code(", weight: 0"), f"{CODES}.weight: must be greater than 0, not 0"),
    (
        "line_codes.yaml",
        code(', contact_reasons: ["Klacht", "Klacht"]'),
        f"{CODES}.contact_reasons: 'Klacht' is listed twice",
    ),
    (
        "line_codes.yaml",
        code(", contact_reasons: Klacht"),
        f"{CODES}.contact_reasons: expected a list, got text",
    ),
    (
        "line_codes.yaml",
        code(", wrap_up_s: -5"),
        f"{CODES}.wrap_up_s: must be at least 0, not -5",
    ),
    ("line_codes.yaml", code(", steps: []"), f"{CODES}.steps: must not be empty"),
    (
        "line_codes.yaml",
        code(", steps: [{after_s: 5}]"),
        f"{CODES}.steps[0].after_s: the first step must start at 0, not 5",
    ),
    (
        "line_codes.yaml",
        code(", steps: [{after_s: 0}, {after_s: 0}]"),
        f"{CODES}.steps[1].after_s: must be later than steps[0].after_s (0)",
    ),
    (
        "line_codes.yaml",
        code(", steps: [{after_s: 0, min_level: 6}]"),
        f"{CODES}.steps[0].min_level: must be at most 5, not 6",
    ),
    (
        "line_codes.yaml",
        code(", steps: [{after_s: 0, min_level: 1}, {after_s: 30, min_level: 4}]"),
        f"{CODES}.steps[1]: must admit every agent the step before admits (steps only widen):"
        " keep min_level and fallback levels at most those of the step before",
    ),
    (
        "line_codes.yaml",
        code(', steps: [{after_s: 0}, {after_s: 30, fallback: {"1700 Wonen": 1}}]'),
        f"{CODES}.steps[1].fallback['1700 Wonen']: '1700 Wonen' is not defined in line_codes.yaml",
    ),
    (
        "line_codes.yaml",
        code(', steps: [{after_s: 0}, {after_s: 30, fallback: {"1700 Andere Vragen": 1}}]'),
        f"{CODES}.steps[1].fallback['1700 Andere Vragen']: is the line code itself",
    ),
    (
        "line_codes.yaml",
        code(', steps: [{after_s: 0}, {after_s: 30, fallback: ["1700 Belastingen"]}]'),
        f"{CODES}.steps[1].fallback: expected a mapping line code: minimum level, got a list",
    ),
    (
        "line_codes.yaml",
        code(", steps: [{after_s: 0, priority: high}]"),
        f"{CODES}.steps[0].priority: 'high' is not a whole number",
    ),
    (
        "line_codes.yaml",
        code(", steps: [{after: 0}]"),
        [
            f"{CODES}.steps[0]: missing required key 'after_s'",
            f"{CODES}.steps[0]: unknown key 'after'",
        ],
    ),
    # --- acd.yaml -----------------------------------------------------------------------------
    (
        "acd.yaml",
        "engine: {missed_in_a_row_before_not_available: 0}",
        "config/acd.yaml: engine.missed_in_a_row_before_not_available: must be at least 1, not 0",
    ),
    (
        "acd.yaml",
        "engine: {offer_delay_s: {busy: -1, later: 3}}",
        [
            "config/acd.yaml: engine.offer_delay_s.busy: must be at least 0, not -1",
            "config/acd.yaml: engine.offer_delay_s: unknown key 'later'",
        ],
    ),
    (
        "acd.yaml",
        "engine: {announcement_handling_window: 0}",
        "config/acd.yaml: engine.announcement_handling_window: must be at least 1, not 0",
    ),
]


@pytest.mark.parametrize(("file", "text", "expected"), CASES)
def test_mistake_is_refused_with_file_key_and_reason(
    write_config: WriteConfig, file: str, text: str, expected: str | list[str]
) -> None:
    assert messages(write_config({file: text})) == (
        [expected] if isinstance(expected, str) else expected
    )


def test_a_broken_calendars_file_does_not_make_every_reference_look_wrong(
    write_config: WriteConfig,
) -> None:
    config_dir = write_config(
        {
            "calendars.yaml": calendar(", timezone: Mars/Olympus"),
            "lines.yaml": line(", calendar: a"),
        }
    )
    assert messages(config_dir) == [
        f"{CAL}.timezone: 'Mars/Olympus' is not a known time zone (such as Europe/Brussels)"
    ]


def test_environment_reaches_nested_engine_settings(write_config: WriteConfig) -> None:
    assert messages(write_config(), env={"ACD_ENGINE__OFFER_DELAY_S__BUSY": "-2"}) == [
        "environment: ACD_ENGINE__OFFER_DELAY_S__BUSY: must be at least 0, not -2"
    ]
