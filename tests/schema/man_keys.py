#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks the key lists of jobtrace-records(5) against schema/, both ways.

  man_keys.py [man/jobtrace-records.5] [--schema-dir DIR]

The page (man(7) source; a Markdown file, *.md, is read as it is) lists keys
in two places, as bold words (\\fBkey\\fR, .B key; `backticked` in Markdown):

- the "JSON lines" section: an entry per record type (a bullet that starts
  with the type in bold, ".IP \\(bu" or ".TP", "- `TYPE`: ..." in Markdown; a
  heading naming the type; a table row "| `TYPE` | ..."), whose other bold
  words are that type's keys (a dotted `a.b` is a path);
- the keys of `run --json`: from the paragraph that says "The JSON report" to
  the next heading (a table there is read the same way).

Each key the page names must be in the schema of its type (at any depth, or as
the path it spells); each top-level key of a schema must be named in the page
(but for a type whose schema takes its keys from a document's, as job from
run --json's: that document's list is checked instead). A
bold word that is a value the schemas know (an enum or a const, a
record type) or a literal (null, true) is not a key. Exit 0 when both agree,
1 listing each difference, 2 when the page or a schema cannot be read.
"""
import argparse
import glob
import json
import os
import re
import sys

KEY = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
TICKED = re.compile(r"`([^`\n]+)`")
LITERALS = {"null", "true", "false"}
# Keys every line has, said once in the section's opening paragraph.
COMMON = {"type", "time"}


def load_schemas(folder):
    by_id, by_name = {}, {}
    for path in sorted(glob.glob(os.path.join(folder, "*.schema.json"))):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        by_id[doc["$id"]] = doc
        by_name[os.path.basename(path)[: -len(".schema.json")]] = doc
    return by_id, by_name


class Resolver:
    """Follows $ref between the schemas (by $id and JSON pointer) to list their keys."""

    def __init__(self, by_id):
        self.by_id = by_id

    def target(self, ref, base):
        """The schema a $ref names, and the base its own $refs resolve against."""
        doc_uri, _, pointer = ref.partition("#")
        if doc_uri:
            base = doc_uri if "://" in doc_uri else base.rsplit("/", 1)[0] + "/" + doc_uri
        node = self.by_id[base]
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, base

    def props(self, node, base, depth=0):
        """{key: (subschema, base)} of an object schema, through $ref, allOf, oneOf."""
        out = {}
        if not isinstance(node, dict) or depth > 32:
            return out
        for k, v in node.get("properties", {}).items():
            out.setdefault(k, (v, base))
        subs = [(s, base) for c in ("allOf", "oneOf", "anyOf") for s in node.get(c, [])]
        if "$ref" in node:
            subs.append(self.target(node["$ref"], base))
        for key in ("items", "additionalProperties"):
            # An array's items, objects keyed by name (net, disks): their members' keys.
            if isinstance(node.get(key), dict):
                subs.append((node[key], base))
        for sub, b in subs:
            for k, v in self.props(sub, b, depth + 1).items():
                out.setdefault(k, v)
        return out

    def top(self, node, base, depth=0):
        """The keys of the object itself, not of its items or named members."""
        out = set(node.get("properties", {}))
        if "$ref" in node:
            out |= self.top(*self.target(node["$ref"], base), depth + 1)
        for c in ("allOf", "oneOf", "anyOf"):
            for s in node.get(c, []):
                out |= self.top(s, base, depth + 1)
        return out

    def all_keys(self, node, base, depth=0):
        keys = set()
        if depth > 12:
            return keys
        for k, (v, b) in self.props(node, base).items():
            keys.add(k)
            keys |= self.all_keys(v, b, depth + 1)
        return keys

    def has_path(self, node, base, path):
        for part in path.split("."):
            p = self.props(node, base)
            if part not in p:
                return False
            node, base = p[part]
        return True


def values_in(node, acc):
    """Every const and enum string of a schema: the page names values in bold too."""
    if isinstance(node, dict):
        if isinstance(node.get("const"), str):
            acc.add(node["const"])
        for v in node.get("enum", []) or []:
            if isinstance(v, str):
                acc.add(v)
        for v in node.values():
            values_in(v, acc)
    elif isinstance(node, list):
        for v in node:
            values_in(v, acc)
    return acc


def section(lines, heading):
    """The lines under the heading @heading, to the next heading of its level or above."""
    for i, line in enumerate(lines):
        m = re.match(r"^(#+)\s+(.*?)\s*$", line)
        if m and m.group(2).lower() == heading.lower():
            level = len(m.group(1))
            end = len(lines)
            for j in range(i + 1, len(lines)):
                n = re.match(r"^(#+)\s", lines[j])
                if n and len(n.group(1)) <= level and not in_code(lines, j):
                    end = j
                    break
            return lines[i + 1:end]
    return None


def in_code(lines, j):
    return sum(1 for line in lines[:j] if line.startswith("```")) % 2 == 1


def entries(block):
    """
    A type's entry in a block, each as one string that starts with `TYPE`: a
    top-level "- `TYPE`" bullet (to the next bullet or an unindented line),
    a "### `TYPE`" heading (to the next heading), or a "| `TYPE` |" table row.
    """
    out, cur, heading = [], None, False
    for line in block:
        h = re.match(r"^#+\s+(`[a-z_]+`.*)$", line)
        row = re.match(r"^\|\s*(`[a-z_]+`.*)$", line)
        starts = h or row or line.startswith("- ")
        if cur is not None and (starts or (not heading and line and not line[0].isspace())):
            out.append(cur)
            cur = None
        if h or row:
            cur, heading = (h or row).group(1), bool(h)
            if row:
                out.append(cur)
                cur = None
        elif line.startswith("- "):
            cur, heading = line[2:], False
        elif cur is not None:
            cur += " " + line.strip()
    if cur is not None:
        out.append(cur)
    return out



def roff_to_md(text):
    """
    man(7) source as the Markdown this checker reads: .SH and .SS are
    headings, a .TP tag or an .IP paragraph a "- " bullet (its body indented,
    .RS blocks deeper), bold words backticked; examples (.EX, .nf) are left
    out, as code blocks hold no key list.
    """
    out, bullet, pending, depth, code = [], False, False, 0, False
    for line in text.split("\n"):
        if line.startswith(".EX") or line.startswith(".nf"):
            code = True
            continue
        if line.startswith(".EE") or line.startswith(".fi"):
            code = False
            continue
        if code or line.startswith('.\\"'):
            continue
        m = re.match(r'^\.(SH|SS)\s+"?(.*?)"?\s*$', line)
        if m:
            out.append(("# " if m.group(1) == "SH" else "## ") + m.group(2))
            bullet = pending = False
            continue
        if line.startswith(".TP") or line.startswith(".IP"):
            bullet, pending = True, True
            continue
        if re.match(r"^\.(PP|P|LP)\s*$", line):
            out.append("")
            bullet = pending = False
            continue
        if line.startswith(".RS"):
            depth += 1
            continue
        if line.startswith(".RE"):
            depth = max(0, depth - 1)
            continue
        m = re.match(r"^\.([BIR]{1,2})(\s+(.*))?$", line)
        if m:
            args = re.findall(r'"[^"]*"|\S+', m.group(3) or "")
            args = [a.strip('"') for a in args]
            fonts = m.group(1) * len(args) if len(m.group(1)) == 1 else m.group(1) * len(args)
            line = "".join("\\fB%s\\fR" % a if f == "B" else a for a, f in zip(args, fonts))
        elif line.startswith("."):
            continue
        indent = "  " * depth
        if pending:
            line = indent + "- " + line
            pending = False
        elif bullet or depth:
            line = indent + "  " + line
        out.append(line)
    md = "\n".join(out)
    md = re.sub(r"\\f(?:B|\[B\])(.*?)\\f(?:R|P|I|\[\]|\[R\])",
                lambda m: "`" + m.group(1).replace("\n", " ") + "`", md, flags=re.S)
    md = re.sub(r"\\f[RPI]", "", md)
    md = md.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    md = re.sub(r"\\\([a-z]{2}|\\\[[^\]]*\]", " ", md)
    return md


def check(readme, folder):
    by_id, by_name = load_schemas(folder)
    r = Resolver(by_id)
    values = set(by_name) | values_in(list(by_name.values()), set())
    problems = []
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if not readme.endswith(".md"):
        text = roff_to_md(text)
    lines = text.split("\n")
    doc = os.path.basename(readme)

    def known(doc, key):
        base = doc["$id"]
        if "." in key:
            return r.has_path(doc, base, key)
        return key in r.all_keys(doc, base) or key in COMMON

    def top_keys(doc):
        return r.top(doc, doc["$id"]) - COMMON

    def keys_of(doc, text, where, schema_name):
        """The page's bold words in @text: those that are keys must be @doc's."""
        named = []
        for t in TICKED.findall(text):
            if not KEY.match(t) or t in LITERALS:
                continue
            if known(doc, t):
                named.append(t)
            elif t not in values:
                problems.append("%s: `%s` is not a key of schema/%s.schema.json"
                                % (where, t, schema_name))
        return {k.split(".")[0] for k in named}

    # run --json: its paragraph, to the end of its section.
    report = by_name["report"]
    run_keys = None
    for i, line in enumerate(lines):
        if "The JSON report" in line:
            end = next((j for j in range(i + 1, len(lines))
                        if re.match(r"^#+\s", lines[j])), len(lines))
            run_keys = keys_of(report, " ".join(lines[i:end]), doc + ", run --json", "report")
            break
    if run_keys is None:
        problems.append(doc + ": no paragraph that says \"The JSON report\" (run --json's keys)")
    else:
        for k in sorted(top_keys(report) - run_keys):
            problems.append("schema/report.schema.json: top-level `%s` is not in %s's "
                            "list of run --json's keys" % (k, doc))

    block = section(lines, "JSON lines")
    if block is None:
        problems.append(doc + ": no \"JSON lines\" section")
        return problems
    listed = {}
    for b in entries(block):
        m = re.match(r"^`([a-z_]+)`", b)
        if m and m.group(1) not in by_name:
            problems.append("%s's JSON lines: type `%s` has no schema (schema/%s.schema.json)"
                            % (doc, m.group(1), m.group(1)))
        elif m:
            t = m.group(1)
            listed[t] = keys_of(by_name[t], b[m.end():], doc + "'s JSON lines, type " + t, t)
    line_types = [n for n, d in by_name.items()
                  if "type" in r.props(d, d["$id"]) and n not in ("missed", "restart")]
    for t in sorted(line_types):
        if t not in listed:
            problems.append("%s's JSON lines: no entry for type `%s` "
                            "(schema/%s.schema.json)" % (doc, t, t))
    for t, named in sorted(listed.items()):
        if "$ref" in by_name[t]:
            # Its keys are another document's (job: run --json's, system: system
            # --json's), listed with that document, not again in each line.
            continue
        for k in sorted(top_keys(by_name[t]) - named):
            problems.append("schema/%s.schema.json: top-level `%s` is not in %s's JSON "
                            "lines entry for %s" % (t, k, doc, t))
    return problems


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(prog="man_keys.py", description=__doc__.split("\n")[0])
    ap.add_argument("page", nargs="?",
                    default=os.path.join(here, "..", "..", "man", "jobtrace-records.5"))
    ap.add_argument("--schema-dir", default=os.path.join(here, "..", "..", "schema"))
    a = ap.parse_args(argv)
    try:
        problems = check(a.page, a.schema_dir)
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("man_keys.py: %s\n" % e)
        return 2
    for p in problems:
        print(p)
    if problems:
        print("man_keys.py: %d differences between %s and schema/"
              % (len(problems), os.path.basename(a.page)))
        return 1
    print("man_keys.py: %s's key lists and schema/ agree" % os.path.basename(a.page))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
