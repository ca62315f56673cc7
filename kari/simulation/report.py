"""The simulation's report: one HTML page with charts (inline SVG: no scripts, no network), and
the same figures as JSON beside it (``kari simulate --report DIR``).

The page shows, in this order: whether every check passed; the checks; the applicants' flow
through the stages (a bar per stage: conservation at a glance); the SEN track (placements
against the reserve, the lateness injected there); the time per stage (wall clock and CPU);
each stage's counts; the stages not built yet.
"""

from html import escape

BAR = 22
WIDTH = 560
LABEL = 400


def _bars(rows: list[tuple[str, float]], unit: str, colour: str) -> str:
    """A horizontal bar chart as SVG; ``rows`` are (label, value)."""
    top = max((v for _l, v in rows), default=0) or 1
    height = BAR * len(rows) + 10
    parts = [
        f'<svg role="img" width="{LABEL + WIDTH + 90}" height="{height}" '
        f'viewBox="0 0 {LABEL + WIDTH + 90} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(rows):
        y = i * BAR + 5
        w = max(1, round(WIDTH * value / top)) if value else 0
        shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL}" y="{y + 2}" width="{w}" height="{BAR - 6}" fill="{colour}">'
            f"<title>{escape(label)}: {shown} {unit}</title></rect>"
            f'<text x="{LABEL + w + 6}" y="{y + 15}" font-size="13">{shown} {unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list]) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def html(data: dict) -> str:
    stages = data.get("stages", [])
    checks = data.get("checks", [])
    flow = {}
    for c in checks:
        if c["name"] == "conservation" and c["ok"]:
            for part in c["detail"].split(" → "):
                label, _sp, value = part.rpartition(" ")
                if value.isdigit():
                    flow[label] = int(value)
    verdict = "All checks passed" if data.get("passed") else "The simulation FAILED"
    colour = "#00703c" if data.get("passed") else "#d4351c"
    out = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Kari: simulated round</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#0b0c0c}",
        "table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #b1b4b6;",
        "padding:.3rem .8rem;text-align:left;vertical-align:top}svg{max-width:100%;height:auto}",
        f".verdict{{color:#fff;background:{colour};padding:.8rem 1rem;font-size:1.3rem}}",
        "</style></head><body>",
        "<h1>Simulated round</h1>",
        f'<p class="verdict">{escape(verdict)}</p>',
        f"<p>{data.get('applicants'):,} applicants, seed {data.get('seed')}, database "
        f"{escape(str(data.get('database')))}; {data.get('seconds', 0):,.1f} s in all, peak "
        f"memory {data.get('peak_memory_mb', 0):,.0f} MB.</p>",
        "<h2>Checks</h2>",
        _table(
            ["Check", "Result", "Detail"],
            [[c["name"], "ok" if c["ok"] else "FAILED", c["detail"]] for c in checks],
        ),
    ]
    if flow:
        out += [
            "<h2>Applicants through the stages</h2>",
            "<p>Every applicant is counted once at every stage (conservation).</p>",
            _bars(list(flow.items()), "", "#1d70b8"),
        ]
    sen = data.get("sen") or {}
    if sen:
        out += [
            "<h2>SEN track</h2>",
            f"<p>{sen['applicants']:,} SEN applicants registered, {sen['trials']:,} trials, "
            f"{sen['recommended']:,} recommendations; the minister's act "
            f"{escape(str(sen['act']))} of {escape(str(sen['act_issued_on']))} places "
            f"{sen['placed']:,} within {sen['reserve_total']:,} reserved places (A40.8). The "
            "general ranking counts the places net of them and leaves them out (A26.3).</p>",
            _table(
                ["Programme", "Reserved places", "SEN placements"],
                [[p["code"], p["reserve"], p["placed"]] for p in sen["programmes"]],
            ),
            "<p>Lateness injected on purpose in the SEN track (found stamped late by the "
            "deadlines check):</p>",
            _table(
                ["Act", "Record", "Rule"],
                [[x["act"], x["object"], x["citation"]] for x in sen["injected_late"]],
            ),
        ]
    out += [
        "<h2>Time per stage</h2>",
        _bars([(s["title"], float(s["seconds"])) for s in stages], "s", "#4c2c92"),
        "<p>CPU time (the machine may be shared): this process, its child processes (the "
        "simulated people's workers and the PDF workers) and the PostgreSQL backends:</p>",
        _bars([(s["title"], _cpu(s)) for s in stages], "s", "#912b88"),
        "<h2>Stages</h2>",
        _table(
            ["Stage", "Status", "Simulated day", "Seconds", "Counts"],
            [
                [
                    s["title"],
                    s["status"] + (f": {s['error']}" if s.get("error") else ""),
                    s.get("sim_day", ""),
                    s["seconds"],
                    "; ".join(f"{k}: {v}" for k, v in s["counts"].items()),
                ]
                for s in stages
            ],
        ),
        "<h2>Not simulated yet</h2>",
        _table(["Stage", "Why"], [[k, v] for k, v in data.get("missing", {}).items()]),
        "<h2>The round's schedule</h2>",
        _table(["Date", "Day"], [[k, v] for k, v in data.get("schedule", {}).items()]),
        "</body></html>",
    ]
    return "\n".join(out)


def _cpu(stage: dict) -> float:
    keys = ("cpu_seconds", "children_cpu_seconds", "db_cpu_seconds", "worker_db_cpu_seconds")
    return float(sum(stage.get(k, 0) for k in keys))
