"""A sheet placed on a grid for the SVG picture: the width of every column from the texts it must hold (measured in
characters of the monospace font, which SVG cannot measure for us), the height of every row, and the boxes, lines
and texts to draw, in drawing order. Texts longer than a column can hold are cut with an ellipsis; the whole text
goes in the box's tooltip."""

from __future__ import annotations

from dataclasses import dataclass

from .sheet import Sheet

CHAR = 7.3  # px per character of the 12 px monospace font (DejaVu Sans Mono, Menlo: 0.6 em)
SMALL_CHAR = 6.7  # of the 11 px one
PAD = 8.0  # inside a cell, left and right
MAX_CHARS = 30  # a cell's text beyond this is cut
MARGIN = 16.0
LANE_TITLE, ACT_ROW, REG_ROW, HEAD_ROW, LOOP_ROW = 24.0, 36.0, 21.0, 46.0, 20.0
MERGE_TAG = 52.0  # the width of a `merged` tag after a cell's text
LINE = 16.0  # a line of the verdict's explanation

HUES = ("#2563eb", "#db6b12", "#0f9488", "#b8329a", "#65a30d", "#7c3aed", "#b45309", "#0e7490", "#4b5563")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str = ""
    stroke: str = ""  # a lane's colour, where the class alone cannot say it


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    cls: str
    fill: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str
    stroke: str = ""


@dataclass(frozen=True)
class Picture:
    width: float
    height: float
    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]
    texts: tuple[Text, ...]


def cut(text: str, chars: int) -> str:
    """`text` in at most `chars` characters, an ellipsis ending it when cut."""
    return text if len(text) <= chars else text[:max(1, chars - 1)] + "\u2026"


def _f(v: float) -> float:
    return round(v, 1)


def layout(sheet: Sheet) -> Picture:
    columns = sheet.columns
    n = len(columns)
    label_chars = max([len(r.label) + (6 if r.ghost else 0) for lane in sheet.lanes for r in lane.rows]
                      + [len(lane.title) + (8 if lane.focus else 0) for lane in sheet.lanes] + [8])
    label_w = label_chars * CHAR + 2 * PAD + 30
    need = [max(len(str(c.index)), len(c.caption) * SMALL_CHAR / CHAR, 4.0) for c in columns]
    verdict_mark = ""
    if sheet.verdict is not None and sheet.loop is None:
        verdict_mark = f"\u2717 {sheet.verdict.name}"
        need[-1] = max(need[-1], len(verdict_mark) * SMALL_CHAR / CHAR)
    if sheet.loop is not None:
        need[-1] = max(need[-1], len(f"\u21a9 state {sheet.loop}") * SMALL_CHAR / CHAR)
    for lane in sheet.lanes:
        for m in lane.marks:
            if m is not None:
                roles = sum(len(r) + 1 for r in m.roles)
                need[m.column] = max(need[m.column], len(m.action) + roles,
                                     min(len(m.args_text), MAX_CHARS) * SMALL_CHAR / CHAR)
        for row in lane.rows:
            for cell in row.cells:
                chars = min(len(cell.text), MAX_CHARS) * (SMALL_CHAR if cell.kind != "value" else CHAR) / CHAR
                chars += (MERGE_TAG + 6) / CHAR if cell.merged else 0
                share = chars / cell.span
                for i in range(cell.start, cell.start + cell.span):
                    need[i] = max(need[i], share)
    widths = [c * CHAR + 2 * PAD for c in need]
    if sheet.loop is not None:  # the loop's columns hold the bracket's words
        short = len(sheet.loop_text) * SMALL_CHAR + 40 - sum(widths[sheet.loop:])
        if short > 0:
            widths[-1] += short
    xs = [MARGIN + label_w]
    for w in widths:
        xs.append(xs[-1] + w)
    right = xs[-1]

    boxes: list[Box] = []
    lines: list[Line] = []
    texts: list[Text] = []
    y = MARGIN
    texts.append(Text(MARGIN, y + 16, sheet.title, "title"))
    y += 26
    facts = [f"trace {sheet.trace_file}" if sheet.trace_file else "", f"spec {sheet.spec_file}" if sheet.spec_file
             else "", f"{n - 1} steps", f"{sheet.cpu_lanes} vCPUs"]
    texts.append(Text(MARGIN, y + 12, "  \u00b7  ".join(f for f in facts if f), "facts"))
    y += 24
    v = sheet.verdict
    if v is not None:
        body = [v.headline + (f" for {v.witness}" if v.witness else "")] + list(v.lines)
        height = 14 + LINE * len(body)
        width = max(right - MARGIN, max(len(t) for t in body) * CHAR + 110)
        boxes.append(Box(MARGIN, y, width, height, f"verdict {v.kind}"))
        boxes.append(Box(MARGIN + 12, y + 9, 72, 17, f"badge {v.kind}"))
        texts.append(Text(MARGIN + 48, y + 21, "VIOLATED", "badge-text"))
        for i, t in enumerate(body):
            texts.append(Text(MARGIN + 96, y + 22 + LINE * i, t, "headline" if i == 0 else "why"))
        right = max(right, MARGIN + width)
        y += height + 14

    if sheet.loop is not None:
        x0, x1 = xs[sheet.loop] + 3, xs[n] - 3
        lines.append(Line(x0, y + LOOP_ROW, x0, y + 6, "loop-bracket"))
        lines.append(Line(x0, y + 6, x1, y + 6, "loop-bracket"))
        lines.append(Line(x1, y + 6, x1, y + LOOP_ROW, "loop-bracket"))
        texts.append(Text(x0 + 8, y + 17, cut(f"\u21ba {sheet.loop_text}", int((x1 - x0 - 16) / SMALL_CHAR)),
                          "loop-text"))
        y += LOOP_ROW
    grid_top = y
    boxes.append(Box(MARGIN, y, label_w, HEAD_ROW, "head"))
    texts.append(Text(MARGIN + PAD + 6, y + 26, "step", "head-name"))
    for c, x, w in zip(columns, xs, widths):
        boxes.append(Box(x, y, w, HEAD_ROW, "head loop" if c.loop else "head"))
        texts.append(Text(x + PAD, y + 15, str(c.index), "step-n"))
        texts.append(Text(x + PAD, y + 28, cut(c.caption, int((w - 2 * PAD) / SMALL_CHAR)), "step-cap"))
        if c.closing:
            texts.append(Text(x + PAD, y + 41, f"\u21a9 state {sheet.loop}", "step-back"))
        elif c.index == n - 1 and verdict_mark:
            texts.append(Text(x + PAD, y + 41, verdict_mark, "step-bad"))
    y += HEAD_ROW

    for lane in sheet.lanes:
        hue = HUES[lane.hue % len(HUES)]
        lines.append(Line(MARGIN, y, right if v is None else xs[n], y, "lane-rule", hue))
        boxes.append(Box(MARGIN, y, 5, LANE_TITLE, "lane-mark", stroke=hue))
        texts.append(Text(MARGIN + PAD + 6, y + 16, lane.title, "lane-title"))
        if lane.focus:
            tx = MARGIN + PAD + 6 + len(lane.title) * 8.0 + 12
            boxes.append(Box(tx, y + 5, 58, 14, "tag"))
            texts.append(Text(tx + 29, y + 15.5, "WITNESS", "tag-text"))
        y += LANE_TITLE
        if any(lane.marks):
            texts.append(Text(MARGIN + PAD + 18, y + 22, "action", "row-name"))
            for m in lane.marks:
                if m is None:
                    continue
                x, w = xs[m.column], widths[m.column]
                call = f"{m.action}({m.args_text})" + (f": {m.doc}" if m.doc else "")
                boxes.append(Box(x + 3, y + 3, w - 6, ACT_ROW - 6, "pill", call, hue))
                texts.append(Text(x + PAD, y + 16, m.action, "pill-name"))
                rx = x + PAD + len(m.action) * CHAR + 5
                for r in m.roles:
                    boxes.append(Box(rx, y + 6, len(r) * 6.4 + 6, 12, "role", stroke=hue))
                    texts.append(Text(rx + 3, y + 15.5, r, "role-text"))
                    rx += len(r) * 6.4 + 10
                texts.append(Text(x + PAD, y + 29, cut(m.args_text, int((w - 2 * PAD) / SMALL_CHAR)), "pill-args"))
            y += ACT_ROW
        for row in lane.rows:
            name = row.label + ("  (ghost)" if row.ghost else "")
            texts.append(Text(MARGIN + PAD + 18, y + 15, name, "row-name focus" if row.focus else "row-name"))
            if row.doc:
                boxes.append(Box(MARGIN, y, label_w, REG_ROW, "row-hit", row.doc))
            for cell in row.cells:
                x = xs[cell.start]
                w = xs[cell.start + cell.span] - x
                cls = " ".join(k for k, on in (("cell", True), (cell.kind, True), ("loop", cell.loop),
                                               ("focus", cell.focus)) if on)
                boxes.append(Box(x + 1.5, y + 2, w - 3, REG_ROW - 4, cls, cell.title))
                if cell.kind == "on":  # a waveform: high
                    lines.append(Line(x + 1.5, y + 3, x + w - 1.5, y + 3, "on-edge"))
                elif cell.kind == "off":  # low
                    lines.append(Line(x + 1.5, y + REG_ROW - 2.5, x + w - 1.5, y + REG_ROW - 2.5, "off-edge"))
                char = CHAR if cell.kind == "value" else SMALL_CHAR
                room = w - 2 * PAD - (MERGE_TAG + 6 if cell.merged else 0)
                text = cut(cell.text, max(1, int(room / char)))
                mark = len(text) * char + 2 * PAD - 3
                if cell.changed:  # the marker where the value changed, as on the page
                    boxes.append(Box(x + 1.5, y + 2, mark, REG_ROW - 4, "mark"))
                    lines.append(Line(x + 3, y + 2, x + 3, y + REG_ROW - 2, "mark-edge"))
                if cell.merged:
                    boxes.append(Box(x + 2.5, y + 3, mark - 2, REG_ROW - 6, "merge-box", cell.merged))
                    boxes.append(Box(x + mark + 6, y + 4, MERGE_TAG, REG_ROW - 8, "merge-tag", cell.merged))
                    texts.append(Text(x + mark + 6 + MERGE_TAG / 2, y + 13.5, "merged", "merge-text"))
                texts.append(Text(x + PAD, y + 14.5, text, f"val {cell.kind}" + (" focus" if cell.focus else "")
                                  + (" changed" if cell.changed else "")))
            lines.append(Line(MARGIN, y + REG_ROW, xs[n], y + REG_ROW, "row-rule"))
            y += REG_ROW
    grid_bottom = y
    if sheet.loop is not None:  # behind everything in the grid: the loop's columns
        boxes.insert(0, Box(xs[sheet.loop], grid_top, xs[n] - xs[sheet.loop], grid_bottom - grid_top, "loop-band"))
    lines.append(Line(MARGIN + label_w, grid_top, MARGIN + label_w, grid_bottom, "label-rule"))
    width, height = right + MARGIN, grid_bottom + MARGIN
    boxes.insert(0, Box(0, 0, width, height, "paper"))
    return Picture(_f(width), _f(height),
                   tuple(Box(_f(b.x), _f(b.y), _f(b.w), _f(b.h), b.cls, b.title, b.stroke) for b in boxes),
                   tuple(Line(_f(ln.x1), _f(ln.y1), _f(ln.x2), _f(ln.y2), ln.cls, ln.stroke) for ln in lines),
                   tuple(Text(_f(t.x), _f(t.y), t.text, t.cls, t.fill) for t in texts))
