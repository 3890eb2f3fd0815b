"""iCalendar import: real producers' files, idempotence, updates, bad input."""

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from events import calendar, log
from events.ics import export, importing
from events.index.history import history, register_of
from events.index.query import query

pytestmark = pytest.mark.django_db(databases=["default", "index"])

FIXTURES = Path(__file__).parent / "ics"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def shown(uid, rid=None):
    register = register_of(uid, rid)
    if register is None or register.deleted:
        return None
    head = next(h for h in register.heads if not register.versions[h].deleted)
    return register.bodies[head]["event"]


def cancelled(uid, rid):
    register = register_of(uid, rid)
    return register is not None and register.deleted


def test_it_imports_google_calendar_with_x_wr_timezone():
    report = importing.import_calendar(read("google.ics"), source="google.ics")
    assert report.ok and not report.skipped
    assert (report.created, report.occurrences_changed, report.occurrences_cancelled) == (3, 1, 1)
    dentist = shown("4ak2m1v3c0q0c5t0l8f0n9gq1s@google.com")
    # 08:00Z in a calendar whose X-WR-TIMEZONE is Europe/Berlin: 10:00 there.
    assert (dentist["start"], dentist["end"], dentist["tz"]) == ("2025-05-12T10:00:00", "2025-05-12T11:00:00", "Europe/Berlin")
    assert dentist["location"] == "Alexanderplatz 1, Berlin"
    assert dentist["description"] == "Bring the printed slides.\nRoom booked by Ana."
    uid = "7p3s6bvoq1l2m3n4o5p6q7r8s9@google.com"
    standup = shown(uid)
    assert standup["rrule"].startswith("FREQ=WEEKLY") and "BYDAY=MO,WE,FR" in standup["rrule"]
    assert standup["exdates"] == ["2025-05-09T09:30:00"]
    moved = shown(uid, "2025-05-16T09:30:00")
    assert (moved["title"], moved["start"], moved["tz"]) == ("Stand-up (moved)", "2025-05-16T11:00:00", "Europe/Berlin")
    assert cancelled(uid, "2025-05-21T09:30:00")
    conference = shown("1k2j3h4g5f6d7s8a9p0o1i2u3y@google.com")
    assert (conference["start"], conference["end"], conference["all_day"], conference["tz"]) == ("2025-06-09", "2025-06-12", True, None)


def test_it_maps_outlook_windows_zone_names_to_iana():
    report = importing.import_calendar(read("outlook.ics"))
    assert report.ok and report.created == 3 and not report.skipped
    review = shown("040000008200E00074C5B7101A82E00800000000B0A1C2D3E4F5D901000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90")
    assert (review["tz"], review["start"], review["rrule"]) == ("Europe/Berlin", "2025-03-06T10:00:00", "FREQ=MONTHLY;COUNT=6;BYDAY=1TH")
    call = shown("040000008200E00074C5B7101A82E00800000000C1D2E3F4A5B6D901000000000000000010000000B2C3D4E5F60718293A4B5C6D7E8F9A01")
    assert (call["tz"], call["start"]) == ("America/New_York", "2025-03-14T09:00:00")
    friday = shown("040000008200E00074C5B7101A82E00800000000D1E2F3A4B5C6D901000000000000000010000000C3D4E5F60718293A4B5C6D7E8F9A0B12")
    assert (friday["start"], friday["end"], friday["all_day"]) == ("2025-04-18", "2025-04-19", True)
    thursdays = [o.start.day for o in query(datetime(2025, 3, 1), datetime(2025, 9, 1), "Europe/Berlin").occurrences if o.title == "Finance review"]
    assert thursdays == [6, 3, 1, 5, 3, 7]


def test_it_imports_apple_calendar_with_duration_and_alarms():
    report = importing.import_calendar(read("apple.ics"))
    assert report.ok and report.created == 3 and not report.skipped
    piano = shown("5F0E3C1A-6B7D-4E8F-9A0B-1C2D3E4F5A6B")
    assert (piano["tz"], piano["start"], piano["end"]) == ("America/New_York", "2025-10-31T18:00:00", "2025-10-31T19:00:00")
    assert piano["location"] == "Piano school\n12 Main St"
    flight = shown("D1E2F3A4-B5C6-4D7E-8F9A-0B1C2D3E4F5A")
    assert (flight["start"], flight["end"]) == ("2025-11-02T01:30:00", "2025-11-02T03:30:00")  # DURATION:PT2H
    birthday = shown("9C8B7A6F-5E4D-4C3B-2A1F-0E9D8C7B6A5F")
    assert (birthday["all_day"], birthday["rrule"]) == (True, "FREQ=YEARLY")


def test_it_imports_thunderbird_floating_and_date_only_events():
    report = importing.import_calendar(read("thunderbird.ics"))
    assert report.ok and report.created == 4 and not report.skipped
    yoga = shown("8d1e0b1a-3c2f-4d6e-9a7b-5c4d3e2f1a0b")
    assert yoga["exdates"] == ["2025-05-01T18:00:00"]  # EXDATE in UTC, kept as the series' wall time
    plants = shown("2f3e4d5c-6b7a-4c8d-9e0f-1a2b3c4d5e6f")
    assert (plants["tz"], plants["all_day"], plants["start"]) == (None, False, "2025-04-02T08:00:00")
    books = shown("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")
    assert (books["start"], books["end"], books["all_day"]) == ("2025-04-15", "2025-04-16", True)
    hackathon = shown("b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e")
    assert (hackathon["start"], hackathon["end"]) == ("2025-05-10", "2025-05-12")  # DURATION:P2D


@pytest.mark.parametrize(
    "name", ["google.ics", "outlook.ics", "apple.ics", "thunderbird.ics", "outlook_custom_zone.ics", "bad_mixed.ics", "truncated.ics"]
)
def test_importing_the_same_file_twice_writes_nothing_the_second_time(name):
    first = importing.import_calendar(read(name))
    assert first.entries_written > 0
    before = log.vector()
    again = importing.import_calendar(read(name))
    assert log.vector() == before
    assert again.entries_written == 0 and again.created == again.updated == 0
    assert again.unchanged == first.created + first.updated + first.occurrences_changed + first.occurrences_cancelled


def test_our_own_export_imported_back_changes_nothing():
    importing.import_calendar(read("google.ics"))
    importing.import_calendar(read("thunderbird.ics"))
    calendar.cancel_occurrence("8d1e0b1a-3c2f-4d6e-9a7b-5c4d3e2f1a0b", "2025-04-01T18:00:00")
    before = log.vector()
    report = importing.import_calendar(export.export_calendar())
    assert report.entries_written == 0 and log.vector() == before


def test_a_newer_version_updates_only_what_changed():
    importing.import_calendar(read("google.ics"))
    newer = (
        read("google.ics")
        .replace(b"SUMMARY:Dentist", b"SUMMARY:Dentist (Dr. Weber)")
        .replace(b"EXDATE;TZID=Europe/Berlin:20250509T093000", b"EXDATE;TZID=Europe/Berlin:20250509T093000,20250512T093000")
        .replace(b"SUMMARY:Stand-up (moved)", b"SUMMARY:Stand-up (moved again)")
    )
    before = sum(log.vector().values())
    report = importing.import_calendar(newer)
    assert (report.updated, report.occurrences_changed, report.unchanged) == (2, 1, 2)
    assert sum(log.vector().values()) == before + 3
    assert shown("4ak2m1v3c0q0c5t0l8f0n9gq1s@google.com")["title"] == "Dentist (Dr. Weber)"
    assert shown("7p3s6bvoq1l2m3n4o5p6q7r8s9@google.com")["exdates"] == ["2025-05-09T09:30:00", "2025-05-12T09:30:00"]
    assert len(history("4ak2m1v3c0q0c5t0l8f0n9gq1s@google.com")) == 2
    assert not register_of("4ak2m1v3c0q0c5t0l8f0n9gq1s@google.com").conflict


def test_an_edit_made_here_is_overwritten_by_a_newer_file_and_a_deleted_event_comes_back():
    importing.import_calendar(read("thunderbird.ics"))
    calendar.edit_series("2f3e4d5c-6b7a-4c8d-9e0f-1a2b3c4d5e6f", title="changed here")
    calendar.delete_event("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")
    report = importing.import_calendar(read("thunderbird.ics"))
    assert (report.created, report.updated) == (1, 1)
    assert shown("2f3e4d5c-6b7a-4c8d-9e0f-1a2b3c4d5e6f")["title"] == "Water the plants"
    register = register_of("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")
    assert not register.deleted and not register.conflict


def test_a_cancelled_event_in_a_newer_file_is_deleted():
    importing.import_calendar(read("apple.ics"))
    newer = read("apple.ics").replace(b"SUMMARY:Flight to Boston", b"SUMMARY:Flight to Boston\nSTATUS:CANCELLED")
    report = importing.import_calendar(newer)
    assert report.deleted == 1 and shown("D1E2F3A4-B5C6-4D7E-8F9A-0B1C2D3E4F5A") is None


def test_bad_components_are_named_and_the_rest_is_imported():
    report = importing.import_calendar(read("bad_mixed.ics"))
    assert report.ok and report.created == 3
    reasons = {s.what: s.reason for s in report.skipped}
    assert reasons["VEVENT #2 (UID no-start@example.com)"] == "it has no DTSTART"
    assert "VEVENT #3 (UID mars@example.com)" not in reasons
    assert reasons["VEVENT #4 (UID bad-rule@example.com)"].startswith("RRULE does not parse")
    assert reasons["VEVENT #5 (UID bad-rule@example.com)"] == "skipped with the event it belongs to"
    assert shown("good-1@example.com")["tz"] == "Europe/Paris" and shown("good-2@example.com")["all_day"]
    for uid in ("no-start@example.com", "bad-rule@example.com"):
        assert register_of(uid) is None
    assert "VEVENT #2 (UID no-start@example.com): it has no DTSTART" in report.as_text()


def test_an_event_and_its_overrides_are_written_together_or_not_at_all():
    data = read("google.ics").replace(b"RECURRENCE-ID;TZID=Europe/Berlin:20250516T093000", b"RECURRENCE-ID;TZID=Europe/Berlin:2025-05-16 9:30")
    report = importing.import_calendar(data)
    uid = "7p3s6bvoq1l2m3n4o5p6q7r8s9@google.com"
    assert register_of(uid) is None
    assert report.created == 2
    what = {s.what for s in report.skipped}
    assert f"VEVENT #3 (UID {uid})" in what and f"VEVENT(s) #2 (UID {uid})" in what and f"VEVENT #4 (UID {uid})" in what


def test_a_rule_our_calendar_cannot_expand_is_skipped_with_its_reason():
    data = read("bad_mixed.ics").replace(b"RRULE:FREQ=SOMETIMES;BYDAY=XX", b"RRULE:FREQ=SECONDLY")
    report = importing.import_calendar(data)
    assert any("SECONDLY" in s.reason for s in report.skipped)
    assert register_of("bad-rule@example.com") is None


def test_an_override_whose_event_is_nowhere_is_imported_as_an_event_of_its_own():
    data = read("bad_mixed.ics").replace(b"RRULE:FREQ=SOMETIMES;BYDAY=XX\n", b"").replace(b"UID:bad-rule@example.com\nDTSTAMP:20250101T000000Z\nDTSTART", b"UID:other@example.com\nDTSTAMP:20250101T000000Z\nDTSTART")
    report = importing.import_calendar(data)
    assert any("UID bad-rule@example.com" in n and "neither in the file nor in this calendar" in n for n in report.notes)
    assert register_of("bad-rule@example.com") is None
    moved = shown("bad-rule@example.com/occurrence/20250117T090000Z")
    assert (moved["title"], moved["start"], moved["tz"]) == ("Override of the bad rule", "2025-01-17T10:00:00", "UTC")
    assert importing.import_calendar(data).created == 0  # the same file again writes nothing


def test_a_file_that_is_not_icalendar_is_refused():
    report = importing.import_calendar(read("not_ical.txt"))
    assert not report.ok and "not an iCalendar file" in report.error
    assert importing.import_calendar(b"").error and importing.import_calendar(b"\x00\xff" * 1000).error
    broken = importing.import_calendar(b"BEGIN:VCALENDAR\r\nthis line has no colon\r\nEND:VCALENDAR\r\n")
    assert not broken.ok and "iCalendar" in broken.error
    assert sum(log.vector().values()) == 0


def test_a_truncated_file_imports_its_complete_events_and_says_where_it_broke():
    report = importing.import_calendar(read("truncated.ics"))
    assert report.ok and report.created == 2 and report.occurrences_changed == 1
    assert any("truncated" in n and "VEVENT #3" in n for n in report.notes)
    assert not cancelled("7p3s6bvoq1l2m3n4o5p6q7r8s9@google.com", "2025-05-21T09:30:00")
    assert "1k2j3h4g5f6d7s8a9p0o1i2u3y@google.com" not in str(report)


def test_fifty_megabytes_of_garbage_are_refused_before_parsing():
    garbage = b"BEGIN:VCALENDAR\r\n" + b"X" * (50 * 1024 * 1024)
    report = importing.import_calendar(garbage)
    assert not report.ok and "50.0 MB" in report.error and "20 MB" in report.error

    class Endless(io.RawIOBase):
        read_calls = 0

        def read(self, n=-1):
            self.read_calls += 1
            return b"Z" * 65536

    endless = Endless()
    report = importing.import_upload(endless, source="upload.ics")
    assert not report.ok and "more than" in report.error
    assert endless.read_calls <= importing.MAX_IMPORT_BYTES // 65536 + 2


def test_the_commands_import_and_export(tmp_path, capsys):
    call_command("import_ics", str(FIXTURES / "outlook.ics"))
    assert "3 created" in capsys.readouterr().out
    call_command("import_ics", str(FIXTURES / "outlook.ics"), "--json")
    assert json.loads(capsys.readouterr().out)["unchanged"] == 3
    out = tmp_path / "out.ics"
    call_command("export_ics", "-o", str(out))
    assert out.read_bytes() == export.export_calendar() and out.read_bytes().count(b"BEGIN:VEVENT") == 3
    with pytest.raises(CommandError):
        call_command("import_ics", str(FIXTURES / "not_ical.txt"))
    with pytest.raises(CommandError):
        call_command("import_ics", str(tmp_path / "missing.ics"))


def test_a_zone_known_only_from_the_files_vtimezone_becomes_the_iana_zone_with_its_offsets():
    report = importing.import_calendar(read("outlook_custom_zone.ics"))
    assert report.created == 2 and not report.skipped
    interview = shown("040000008200E00074C5B7101A82E00800000000E1F2A3B4C5D6D901000000000000000010000000D4E5F60718293A4B5C6D7E8F9A0B1C23")
    weekly = shown("040000008200E00074C5B7101A82E00800000000F1A2B3C4D5E6D901000000000000000010000000E5F60718293A4B5C6D7E8F9A0B1C2D34")
    # Eastern European time with the EU's changes on the last Sundays of March and October.
    assert interview["tz"] == weekly["tz"] and interview["tz"].startswith(("Europe/", "Asia/"))
    assert (interview["start"], weekly["start"], weekly["rrule"]) == ("2025-07-10T10:00:00", "2025-07-07T09:00:00", "FREQ=WEEKLY;BYDAY=MO")
    assert any("Customized Time Zone" in n and interview["tz"] in n for n in report.notes)


def test_a_zone_known_only_from_the_files_vtimezone_and_no_iana_zone_is_kept_as_utc_for_single_events():
    report = importing.import_calendar(read("outlook_custom_zone.ics").replace(b"+0300", b"+0345").replace(b"+0200", b"+0245"))
    assert report.created == 1
    interview = shown("040000008200E00074C5B7101A82E00800000000E1F2A3B4C5D6D901000000000000000010000000D4E5F60718293A4B5C6D7E8F9A0B1C23")
    assert (interview["tz"], interview["start"], interview["end"]) == ("UTC", "2025-07-10T06:15:00", "2025-07-10T07:15:00")
    assert any("Customized Time Zone" in n and "UTC" in n for n in report.notes)
    [skipped] = report.skipped
    assert "repeating event" in skipped.reason and "Customized Time Zone" in skipped.reason


def test_two_files_may_define_the_same_custom_zone_differently():
    importing.import_calendar(read("outlook_custom_zone.ics"))
    new_york = (
        read("outlook_custom_zone.ics")
        .replace(b"+0300", b"-0400").replace(b"+0200", b"-0500")
        .replace(b"E1F2A3B4C5D6", b"A9A9A9A9A9A9")
    )
    importing.import_calendar(new_york)
    uid = "040000008200E00074C5B7101A82E00800000000A9A9A9A9A9A9D901000000000000000010000000D4E5F60718293A4B5C6D7E8F9A0B1C23"
    assert shown(uid)["start"] == "2025-07-10T14:00:00"  # 10:00 -04:00, not the first file's +03:00
