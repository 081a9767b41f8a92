#!/usr/bin/env python3
"""make_nasty.py - writes the hand-made nasty inputs of fuzz/regressions/
(truncated varints, huge lengths, deep nesting, invalid UTF-8, NaN/inf,
revision 0xFFFFFFFF, empty file, BOM only, unterminated quote...). Run from
the repository root after changing it; its output is committed. Submission
files are raw protobuf; input files carry the two-byte header of
fuzz/pa_fuzz.h ('c' CSV / 'j' JSON, then the chunking byte)."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def vint(field, n):
    return key(field, 0) + varint(n)


def ln(field, data):
    if isinstance(data, str):
        data = data.encode()
    return key(field, 2) + varint(len(data)) + data


def dbl(field, x):
    return key(field, 1) + struct.pack("<d", x)


def value(indicator="ws_deaths", town=b"", count=None, ratio=None):
    b = ln(1, indicator)
    if town:
        b += ln(2, town)
    if count is not None:
        b += dbl(3, count)
    if ratio is not None:
        b += ln(4, dbl(1, ratio[0]) + dbl(2, ratio[1]))
    return b


def report(rid="r1", district="500101", ptype=3, start="2024-03-01", at=1719000000000, rev=1,
           values=None, raw=b""):
    b = ln(1, rid) + ln(2, district) + vint(3, ptype) + ln(4, start) + vint(5, at) + vint(6, rev)
    for v in values if values is not None else [value(count=1)]:
        b += ln(7, v)
    return b + raw


def sub(*reports, version=1, sender="nasty"):
    b = vint(1, version) + ln(2, sender)
    for r in reports:
        b += ln(3, r)
    return b


NAN, INF = float("nan"), float("inf")
SUBMISSIONS = {
    "empty": b"",
    "truncated-varint": b"\x08\xff\xff",
    "overlong-varint": b"\x08" + b"\xff" * 10 + b"\x01",
    "truncated-key": b"\x80",
    "huge-report-length": key(3, 2) + varint(0xFFFFFFFF) + b"\x0a\x01x",
    "huge-value-length": vint(1, 1) + key(3, 2) + varint(12) + key(7, 2) + varint(1 << 40) + b"abc",
    "many-empty-reports": vint(1, 1) + ln(3, b"") * 20000,
    "many-values": sub(report(values=[value(count=1)] * 2500)),
    "too-many-values": sub(report(values=[b""] * 100001)),
    "deep-groups": b"\x7b" * 20000,
    "deep-ratio-unknown": sub(report(values=[ln(1, "event_closure") + ln(4, ln(9, ln(9, ln(9, b"x"))))])),
    "wrong-wire-type": key(1, 2) + varint(1) + b"\x01" + key(3, 0) + varint(5),
    "invalid-utf8": sub(report(rid=b"\xff\xfe", district=b"\xc0\x80", start=b"2024-03-0\xe9",
                               values=[value(indicator=b"ws_\xed\xa0\x80", town=b"\xf4\x90\x80\x80", count=1)]),
                        sender=b"\xc3"),
    "control-chars": sub(report(rid="a\tb", district="5001\x7f1", values=[value(indicator="ws\x1b[0m", count=1)]),
                         sender="line\nbreak"),
    "nul-in-strings": sub(report(rid="a\x00b", district="500101\x00junk",
                                 values=[value(indicator="ws_deaths\x00x", town="500101001\x00", count=1)])),
    "nan-inf-doubles": sub(report(values=[
        value("ws_deaths", count=NAN), value("fire_incidents", count=INF), value("fire_deaths", count=-INF),
        value("major_accidents", count=-0.0), value("criminal_cases_8", count=5e-324),
        value("major_negative_events", count=1e308), value("event_closure", ratio=(NAN, INF)),
        value("task_completion", ratio=(-INF, 0.0)), value("vuln_rectified", ratio=(1e308, 5e-324)),
        value("opinion_risk_assessed", ratio=(INF, -INF))])),
    "revision-max": sub(report(rev=0xFFFFFFFF), report(rid="r2", rev=0x80000000), report(rid="r3", rev=0)),
    "version-max": sub(report(), version=0xFFFFFFFF),
    "extreme-times": sub(report(at=-1), report(rid="r2", at=(1 << 63) - 1), report(rid="r3", at=1 << 63)),
    "bad-enums": sub(report(ptype=99), report(rid="r2", ptype=-1), report(rid="r3", ptype=0x7FFFFFFF)),
    "bad-dates": sub(report(start="0000-00-00"), report(rid="r2", ptype=5, start="9999-01-01"),
                     report(rid="r3", ptype=1, start="1900-02-29"), report(rid="r4", start="2024-03-01T00:00"),
                     report(rid="r5", ptype=2, start="-2024-03-01"), report(rid="r6", start="x" * 5000)),
    "long-strings": sub(report(rid="r" * 65, district="5" * 100000,
                               values=[value(indicator="i" * 40, town="5" * 12, count=1)]),
                        sender="\u5e73\u5b89" * 100),
    "duplicates-and-problems": sub(report(district="500199", values=[value("nope", town="x", count=-1.5)] * 200)),
    "count-and-ratio": sub(report(values=[value("event_closure", count=1, ratio=(1, 2)),
                                          value("ws_deaths", ratio=(1, 2), count=3),
                                          ln(1, "event_closure") + ln(4, b"")])),
    "repeated-scalars": vint(1, 1) + vint(1, 2) + vint(1, 1) + ln(2, "a") + ln(2, "b") + ln(3, report()),
}

CSV_HEADER = "district,period,revision,town,indicator,count,numerator,denominator\n"
INPUTS = {
    "empty-csv": b"c\x00",
    "empty-json": b"j\x00",
    "bom-only-csv": b"c0\xef\xbb\xbf",
    "bom-only-json": b"j0\xef\xbb\xbf",
    "half-bom-csv": b"c0\xef\xbb",
    "half-bom-json": b"j1\xef",
    "header-only-csv": b"c3" + CSV_HEADER.encode(),
    "unterminated-quote-csv": b"c2" + (CSV_HEADER + '500101,2024-03,1,,"ws_deaths,1,,\n').encode(),
    "unterminated-string-json": b'j2{"district": "500101", "period": "2024-03", "values": [{"indicator": "ws_',
    "nul-csv": b"c1" + CSV_HEADER.encode() + b"500101\x00,2024-03,1,,ws_deaths,1,,\n",
    "invalid-utf8-csv": b"c5" + CSV_HEADER.encode() + b"5001\xff1,2024-03,1,50010\xc0\x81,ws_\xed\xa0\x80,1,,\n",
    "revisions-csv": b"c6" + (CSV_HEADER + "500101,2024-03,4294967295,,ws_deaths,1,,\n"
                              "500101,2024-04,4294967296,,ws_deaths,1,,\n"
                              "500101,2024-05,0,,ws_deaths,1,,\n").encode(),
    "nan-inf-csv": b"c7" + (CSV_HEADER + "500101,2024-03,1,,ws_deaths,nan,,\n"
                            "500101,2024-03,1,,fire_deaths,-inf,,\n"
                            "500101,2024-03,1,,fire_incidents,1e999,,\n"
                            "500101,2024-03,1,,event_closure,,NaN,infinity\n"
                            "500101,2024-03,1,,task_completion,,-0,0x1p-1074\n").encode(),
    "crlf-and-cr-csv": b"c8" + CSV_HEADER.replace("\n", "\r\n").encode() + b"500101,2024-03,1,,ws_deaths,1,,\r500101,2024-03,1,,fire_deaths,1,,\r\n",
    "ragged-csv": b"c9" + (CSV_HEADER + "500101,2024-03\n500101,2024-03,1,,ws_deaths,1,,,,,,\n,,,,,,,\n").encode(),
    "long-field-csv": b"c\x0f" + CSV_HEADER.encode() + b"500101,2024-03,1,," + b"i" * 60000 + b",1,,\n",
    "deep-array-json": b"j\x0c" + b"[" * 20000 + b"]" * 20000,
    "deep-object-json": b"j\x0c" + b'{"reports": [{"district": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}]}",
    "invalid-utf8-json": b'j3{"district": "5001\xff1", "period": "2024-03", "values": [{"indicator": "ws_\xc0\x80", "count": 1}]}',
    "escapes-json": b'j4{"report_id": "a\\u0000b", "district": "\\ud800", "period": "2024-03", '
                    b'"values": [{"indicator": "ws_deaths\\u001b", "town": "\\uDBFF\\uDFFF", "count": 1}]}',
    "numbers-json": b'j5[{"district": "500101", "period": "2024-03", "revision": 99999999999999999999, '
                    b'"values": [{"indicator": "ws_deaths", "count": 1e999}, {"indicator": "fire_deaths", "count": -1e-999}, '
                    b'{"indicator": "event_closure", "numerator": 1.7976931348623157e308, "denominator": 4.9e-324}]}]',
    "ndjson-stream": b'j6{"district": "500101", "period": "2024-03", "values": [{"indicator": "ws_deaths", "count": 1}]}\n'
                     b'{"district": "500103", "period_type": "week", "period_start": "2024-03-04", "revision": 4294967295, '
                     b'"values": [{"indicator": "ws_deaths", "count": 0}]}\n{"district"',
    "wrong-types-json": b'j7{"reports": [{"district": 500101, "period": null, "values": {"indicator": true}}]}',
    "trailing-garbage-json": b'j8[]]]}{',
}


def main():
    for kind, files in (("submission", SUBMISSIONS), ("input", INPUTS)):
        d = os.path.join(ROOT, kind)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, "nasty-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
