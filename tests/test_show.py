"""`irqspec show` and `check --html` (docs/show.md): the page's structure (lanes, columns, actions on the lanes of
the vCPUs they act on, changed cells, the violated property at the end, a lasso's loop), escaping of hostile text,
same input -> same bytes, the SVG as well-formed XML, the errors (exit 2, one line naming the file, no traceback),
and a rendering in headless Chromium when it is installed."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from irqspec.cli import main
from irqspec.front.frontend import load
from irqspec.show import render_html, render_svg, sheet_of_itf
from spec_paths import ROOT, SPEC

SVG_NS = "{http://www.w3.org/2000/svg}"
LASSO_SMALL = ["-D", "VECTORS=64..65", "-D", "TPR_WRITES=64..65"]

HOSTILE_SPEC = """--- A spec whose texts try to inject markup: <script>alert("module")</script> & <b>bold</b>
module hostile
type Cpu = 0..1
type Mode = enum { Calm, Busy }
--- the <script>alert("var")</script> counter
var count: 0..3
--- per vCPU: </td></tr><script>alert("mode")</script>
var mode: Cpu -> Mode
init {
  count = 0
  mode = [c in Cpu: Calm]
}
--- <img src=x onerror=alert("tick")>
action tick() requires count < 3 { count' = count + 1 }
--- </span></td><script>alert("busy")</script>
action busy(c: Cpu) requires mode[c] == Calm { mode'[c] = Busy }
--- <script>alert("invariant")</script>
invariant small: forall c in Cpu: count < 2 or mode[c] == Calm
"""


# ------------------------------------------------------------------------------------------------------ the traces


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> dict[str, Path]:
    """The seed counterexample (svm_virq, the lost IPI) and the CR8 lasso (svm_evtinj_cr8), each as the ITF trace
    and the page `check --itf --html` wrote, and the hostile spec's counterexample."""
    out = tmp_path_factory.mktemp("show")
    runs = {"seed": [str(SPEC / "svm_virq.irq")],
            "lasso": [str(SPEC / "svm_evtinj_cr8.irq"), *LASSO_SMALL]}
    hostile = out / "hostile.irq"
    hostile.write_text(HOSTILE_SPEC)
    runs["hostile"] = [str(hostile)]
    paths = {}
    for name, argv in runs.items():
        itf, html = out / f"{name}.itf.json", out / f"{name}.check.html"
        assert main(["check", *argv, "--itf", str(itf), "--html", str(html)]) == 1
        paths[name], paths[f"{name}.check.html"], paths[f"{name}.spec"] = itf, html, Path(argv[0])
    return paths


def _sheet(traces, name: str, spec: bool = True, defines: dict | None = None):
    doc = json.loads(traces[name].read_text())
    if not spec:
        return sheet_of_itf(doc, str(traces[name]))
    front = load(traces[f"{name}.spec"], defines or {})
    return sheet_of_itf(doc, str(traces[name]), front.system, str(traces[f"{name}.spec"]), front.sources)


def _show(traces, name: str, out: Path, *extra: str) -> str:
    argv = ["show", str(traces[name]), "--spec", str(traces[f"{name}.spec"]), "-o", str(out), *extra]
    if name == "lasso":
        argv += LASSO_SMALL
    assert main(argv) == 0
    return out.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------- a small HTML reader


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: _Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[_Node] = []
        self.text = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list[_Node]:
        out = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                out.append(child)
            out += child.all(tag, cls)
        return out

    def content(self) -> str:
        return self.text + "".join(c.content() for c in self.children)

    def by_id(self, ident: str) -> _Node:
        found = [n for n in self.all() if n.attrs.get("id") == ident]
        assert len(found) == 1, ident
        return found[0]


class _Tree(HTMLParser):
    """The page as a tree; every end tag must close the element it names (the markup is balanced)."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr"})

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.root = self.at = _Node("#root", {}, None)
        self.feed(text)
        self.close()
        assert self.at is self.root, f"unclosed <{self.at.tag}>"

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(node)
        if tag not in self.VOID:
            self.at = node

    def handle_endtag(self, tag):
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>"
        self.at = self.at.parent

    def handle_data(self, data):
        # text after a child goes on a node of its own, so content() keeps the order
        text = _Node("#text", {}, self.at)
        text.text = data
        self.at.children.append(text)


def _page(text: str) -> _Node:
    return _Tree(text).root


# ------------------------------------------------------------------------------------------------------ structure


def test_the_seed_page_has_a_lane_per_vcpu_and_a_column_per_step(traces, tmp_path):
    page = _page(_show(traces, "seed", tmp_path / "seed.html"))
    steps = [th for th in page.all("th") if th.attrs.get("id", "").startswith("step-")]
    assert [th.attrs["id"] for th in steps] == [f"step-{i}" for i in range(8)]
    lanes = [body.attrs["id"] for body in page.all("tbody")]
    assert lanes == ["cpu-0", "cpu-1"]  # every variable of svm_virq is a map over Cpu: no global lane
    lane = page.by_id("cpu-0")
    names = [th.content() for th in lane.all("th", "sub")]
    assert names[0] == "action" and "irr" in names and "v_irq" in names and "outer.stage" in names
    assert any("ghost" in n for n in names)  # owed, a ghost variable
    for row in lane.all("tr", "reg"):  # every row covers every column once
        assert sum(int(td.attrs.get("colspan", "1")) for td in row.all("td")) == 8


def test_an_ipi_is_marked_on_the_lanes_of_both_its_source_and_its_destination(traces):
    sheet = _sheet(traces, "seed")
    cpu0, cpu1 = sheet.lanes
    # step 3: vCPU 0 sends to itself; step 6: vCPU 1 sends to vCPU 0 (the second IPI, the one that is lost)
    assert cpu0.marks[3].action == "send_ipi" and cpu0.marks[3].roles == ("src", "dst")
    assert cpu0.marks[6].roles == ("dst",) and cpu1.marks[6].roles == ("src",)
    assert cpu1.marks[3] is None
    assert cpu0.marks[6].args == (("src", "1"), ("dst", "0"), ("v", "0x30"))
    assert cpu0.marks[7].action == "vmexit" and cpu0.marks[7].roles == ("c",)


def test_registers_change_where_the_steps_change_them(traces, tmp_path):
    sheet = _sheet(traces, "seed")
    irr = next(r for r in sheet.lanes[0].rows if r.label == "irr")
    # bits[256] as the set of vectors in hex; a run per value, marked where it changed
    # step 6: the second IPI or-s its vector into the IRR bit still set: a write the states alone do not show
    assert [(c.start, c.span, c.text, c.changed, c.merged) for c in irr.cells] == [
        (0, 3, "{}", False, ""), (3, 3, "{0x30}", True, ""), (6, 1, "{0x30}", False, "irr[0] |= {0x30} (already set)"),
        (7, 1, "{}", True, "")]
    page = _page(_show(traces, "seed", tmp_path / "seed.html"))
    cell = next(td for td in page.by_id("cpu-0").all("td", "changed") if td.attrs["title"].startswith("irr[0]"))
    assert cell.attrs["title"] == "irr[0], steps 3-5: {0x30}" and cell.attrs["colspan"] == "3"
    (merged,) = page.by_id("cpu-0").all("td", "merged")
    assert "merged" in merged.content() and "already set" in merged.attrs["title"]
    assert "irr[0] |= {0x30} (already set)" in page.by_id("s-6").content()  # and in the story
    v_irq = next(r for r in sheet.lanes[0].rows if r.label == "v_irq")
    assert [c.kind for c in v_irq.cells] == ["off", "on", "off", "off"]  # drawn as a waveform


def test_the_violated_invariant_is_highlighted_at_the_end(traces, tmp_path):
    page = _page(_show(traces, "seed", tmp_path / "seed.html"))
    verdict = page.by_id("verdict")
    assert "invariant no_lost_ipi violated after 7 steps" in verdict.content()
    assert "c = 0, v = 0x30" in verdict.content() and "false: irr[c][v]" in verdict.content()
    assert "no_lost_ipi" in page.by_id("step-7").content()
    assert "focus" in page.by_id("cpu-0").classes and "focus" not in page.by_id("cpu-1").classes
    focused = page.by_id("cpu-0").all("td", "focus")
    # the variables the invariant reads, on the witness's lane, in the last column
    assert sorted(td.attrs["title"].split(",")[0] for td in focused) == [
        "irr[0]", "owed[0]", "v_intr_vector[0]", "v_irq[0]"]
    assert all("step 7:" in td.attrs["title"] for td in focused)


def test_a_lasso_marks_its_loop(traces, tmp_path):
    sheet = _sheet(traces, "lasso", defines={"VECTORS": "64..65", "TPR_WRITES": "64..65"})
    assert sheet.loop == 6 and len(sheet.columns) == 8
    assert [c.loop for c in sheet.columns] == [False] * 6 + [True, True] and sheet.columns[7].closing
    assert sheet.columns[7].caption == "stutter" and sheet.verdict.kind == "liveness"
    page = _page(_show(traces, "lasso", tmp_path / "lasso.html"))
    assert "the loop: step 7 repeats forever" in page.all("td", "bracket")[0].content()
    assert "state 6" in page.by_id("step-7").content()
    assert "loop" in page.by_id("step-6").classes and "loop" not in page.by_id("step-5").classes
    assert "liveness delivered violated by a fair lasso of 7 steps" in page.by_id("verdict").content()
    # the cells the property reads inside the loop, on the witness's lane
    assert {td.attrs["title"].split(",")[0] for td in page.by_id("cpu-0").all("td", "focus")} >= {"owed[0]",
                                                                                               "v_tpr[0]"}


def test_check_html_writes_the_page_show_writes(traces, tmp_path):
    for name in ("seed", "lasso"):
        shown = _show(traces, name, tmp_path / f"{name}.html")
        checked = traces[f"{name}.check.html"].read_text(encoding="utf-8")
        # the same page but for the trace file, which check's page has none of
        assert checked == shown.replace(f'<span>trace <code>{traces[name]}</code></span>', "")


def test_without_a_spec_the_lanes_and_types_come_from_the_values(traces):
    sheet = _sheet(traces, "seed", spec=False)
    assert [lane.title for lane in sheet.lanes] == ["vCPU 0", "vCPU 1"]
    assert sheet.lanes[0].marks[6].roles == ("dst",) and sheet.lanes[1].marks[6].roles == ("src",)
    irr = next(r for r in sheet.lanes[0].rows if r.label == "irr")
    assert irr.cells[1].text == "{0x30}"  # an ITF set of bit indices reads as vectors
    assert sheet.verdict.witness == "c = 0, v = 48" and sheet.verdict.lines == ()
    assert any("without its spec" in n for n in sheet.notes)
    lasso = _sheet(traces, "lasso", spec=False)
    # write_cr8(c, value): both take values of the vCPUs here; c is the one named like a vCPU
    marks = [m for m in lasso.lanes[0].marks if m is not None and m.action == "write_cr8"]
    assert marks and all(m.roles == ("c",) for m in marks)
    assert lasso.loop == 6 and lasso.verdict.kind == "liveness"


def test_global_variables_and_actions_on_no_vcpu_have_a_lane_of_their_own(traces, tmp_path):
    sheet = _sheet(traces, "hostile")
    assert [lane.key for lane in sheet.lanes] == ["cpu-0", "cpu-1", "global"]
    shared = sheet.lanes[2]
    assert [r.label for r in shared.rows] == ["count"]
    assert [m.action for m in shared.marks if m is not None] == ["tick", "tick"]
    assert [m.action for m in sheet.lanes[0].marks if m is not None] == ["busy"]
    assert shared.rows[0].focus and shared.rows[0].cells[-1].focus  # `small` reads count


# ------------------------------------------------------------------------------------------------------- escaping


def _hostile_itf() -> dict:
    bad = "</td><script>alert(1)</script>"
    return {"#meta": {"irqspec::violated": "<i>inv</i>", "irqspec::witness": {"<b>c</b>": 0},
                      "irqspec::module": "<h1>m</h1>"},
            "vars": ["<b>x</b>", "m", "mbt::actionTaken", "mbt::nondetPicks"],
            "states": [{"<b>x</b>": bad, "m": {"#map": [[0, False], [1, False]]}, "mbt::actionTaken": "init",
                        "mbt::nondetPicks": {}},
                       {"<b>x</b>": "<img src=x onerror=alert(2)>", "m": {"#map": [[0, True], [1, False]]},
                        "mbt::actionTaken": "<script>alert(3)</script>",
                        "mbt::nondetPicks": {"c": {"tag": "Some", "value": 0},
                                             "<p>": {"tag": "Some", "value": {"#tup": ["<q>"]}}}}]}


def test_hostile_text_from_the_spec_or_the_trace_never_becomes_markup(traces, tmp_path):
    pages = [_show(traces, "hostile", tmp_path / "hostile.html"),
             render_html(sheet_of_itf(_hostile_itf(), "<u>t</u>.json"))]
    for text in pages:
        for markup in ("<script", "<img", "<b>bold", "<b>x</b>", "<b>c</b>", "<i>inv</i>", "<h1>m", "<u>t", "<p>",
                       "<q>"):
            assert markup not in text, markup
        assert "&lt;script&gt;" in text
        _page(text)  # and the markup stays balanced
    assert "the &lt;script&gt;alert(&#34;var&#34;)&lt;/script&gt; counter" in pages[0]  # a variable's doc
    assert "&lt;img src=x onerror=alert(&#34;tick&#34;)&gt;" in pages[0]  # an action's doc, in its title
    assert "&lt;/span&gt;&lt;/td&gt;&lt;script&gt;" in pages[0]
    svg = render_svg(sheet_of_itf(_hostile_itf(), "<u>t</u>.json"))
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.removeprefix(SVG_NS) in {"script", "img", "b", "i", "foreignObject"}]
    assert any("<script>alert(3)</script>" in (e.text or "") for e in root.iter(f"{SVG_NS}text"))


# -------------------------------------------------------------------------------------------- output properties


def test_the_same_trace_gives_the_same_bytes_whatever_the_hash_seed(traces, tmp_path):
    outputs = []
    for seed, svg in (("1", False), ("2", False), ("1", True), ("3", True)):
        out = tmp_path / f"{seed}{'.svg' if svg else '.html'}"
        run = subprocess.run([sys.executable, "-m", "irqspec.cli", "show", str(traces["seed"]), "--spec",
                              str(traces["seed.spec"]), "-o", str(out), *(["--svg"] if svg else [])],
                             capture_output=True, text=True, cwd=ROOT, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        assert run.returncode == 0, run.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[2] == outputs[3]


def test_the_page_is_self_contained(traces, tmp_path):
    text = _show(traces, "seed", tmp_path / "seed.html")
    page = _page(text)
    assert not page.all("script") and not page.all("link") and not page.all("img") and not page.all("iframe")
    assert not [n for n in page.all() if "src" in n.attrs]
    assert all(n.attrs["href"].startswith("#") for n in page.all("a"))  # links within the page only
    (style,) = page.all("style")
    css = style.content().lower()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css and "http" not in css
    assert '<meta charset="utf-8">' in text


def test_the_svg_is_well_formed_and_holds_the_lanes_the_steps_and_the_loop(traces, tmp_path):
    root = ET.fromstring(_show(traces, "lasso", tmp_path / "lasso.svg", "--svg"))
    assert root.tag == f"{SVG_NS}svg" and float(root.attrib["width"]) > 600 and float(root.attrib["height"]) > 400
    texts = [e.text or "" for e in root.iter(f"{SVG_NS}text")]
    assert {"vCPU 0", "vCPU 1", "VIOLATED", "send_ipi", "write_cr8"} <= set(texts)
    assert [t for t in texts if t.startswith("\u21ba the loop")]
    assert [str(i) for i in range(8)] == [t for t in texts if t.isdigit()][:8]
    rects = [e.attrib.get("class", "") for e in root.iter(f"{SVG_NS}rect")]
    assert "loop-band" in rects and any("focus" in c.split() for c in rects)
    assert "mark" in rects  # where a value changed


def test_a_long_trace_renders(traces):
    doc = json.loads(traces["seed"].read_text())
    states = doc["states"]
    doc["states"] = [states[0]] + [states[1 + i % (len(states) - 1)] for i in range(100)]
    front = load(traces["seed.spec"])
    sheet = sheet_of_itf(doc, "long.itf.json", front.system, "", front.sources)
    assert len(sheet.columns) == 101 and len(sheet.steps) == 100
    page = _page(render_html(sheet))
    assert len([th for th in page.all("th") if th.attrs.get("id", "").startswith("step-")]) == 101
    ET.fromstring(render_svg(sheet))


# ------------------------------------------------------------------------------------------------------- errors


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("irqspec: error: ") and err.count("\n") == 1, err
    return err


def test_trace_files_that_cannot_be_shown_are_one_line_errors(traces, tmp_path, capsys):
    out = str(tmp_path / "out.html")
    assert str(tmp_path / "none.json") in _error(capsys, ["show", str(tmp_path / "none.json"), "-o", out])
    assert "is a folder" in _error(capsys, ["show", str(tmp_path), "-o", out])
    broken = tmp_path / "broken.json"
    broken.write_text('{"states": [\n  {"x": 1,,}\n]}\n')
    message = _error(capsys, ["show", str(broken), "-o", out])
    assert str(broken) in message and "line 2 column" in message
    odd = tmp_path / "odd.json"
    odd.write_text('[1, 2, 3]')
    assert "not an ITF trace" in _error(capsys, ["show", str(odd), "-o", out])
    odd.write_text('{"states": []}')
    assert "no states" in _error(capsys, ["show", str(odd), "-o", out])
    # the lasso of svm_evtinj_cr8 is not a trace of svm_virq's variables
    message = _error(capsys, ["show", str(traces["lasso"]), "--spec", str(SPEC / "svm_virq.irq"), "-o", out])
    assert str(traces["lasso"]) in message and "svm_virq" in message
    # a trace of three vCPUs read with the spec's two would lose one: it does not fit either
    doc = json.loads(traces["seed"].read_text())
    doc["states"][0]["irr"]["#map"].append([2, {"#set": []}])
    wider = tmp_path / "wider.itf.json"
    wider.write_text(json.dumps(doc))
    message = _error(capsys, ["show", str(wider), "--spec", str(SPEC / "svm_virq.irq"), "-o", out])
    assert "irr has 3 entries" in message and "-D" in message
    assert not Path(out).exists()


def test_outputs_that_cannot_be_written_and_options_without_a_spec_are_errors(traces, tmp_path, capsys):
    seed = str(traces["seed"])
    assert "does not exist" in _error(capsys, ["show", seed, "-o", str(tmp_path / "no" / "such.html")])
    assert "is a folder" in _error(capsys, ["show", seed, "-o", str(tmp_path)])
    assert "need --spec" in _error(capsys, ["show", seed, "-D", "NCPU=3", "-o", str(tmp_path / "x.html")])
    assert "does not exist" in _error(capsys, ["check", str(SPEC / "svm_virq.irq"), "--html",
                                               str(tmp_path / "no" / "such.html")])


def test_a_missing_trace_is_an_error_without_a_traceback_from_the_command_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "irqspec.cli", "show", str(tmp_path / "none.itf.json"), "-o",
                          str(tmp_path / "o.html")], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "none.itf.json" in run.stderr


# ------------------------------------------------------------------------------------------- headless Chromium


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of pixels) of an 8-bit RGB or RGBA PNG, unfiltered (PNG spec, section 9)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6), header
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows[::9] for i in range(0, stride, bpp * 7)]


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="headless Chromium is not installed (apt-get install chromium): the rendering is not checked")
@pytest.mark.parametrize("svg", [False, True], ids=["html", "svg"])
def test_the_page_renders_in_headless_chromium(traces, tmp_path, svg):
    page = tmp_path / ("seed.svg" if svg else "seed.html")
    _show(traces, "seed", page, *(["--svg"] if svg else []))
    shot = tmp_path / "seed.png"
    run = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1400,900",
                          page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and shot.exists(), run.stderr
    width, height, sample = _png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 900)
    # not blank: the lane colours, the highlights, the text's anti-aliasing give many distinct colours, and a good
    # part of the picture is not the white of the paper
    assert len(set(sample)) > 60
    assert sum(1 for px in sample if px != b"\xff\xff\xff") > len(sample) // 20
