#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Validates jobtrace's JSON outputs against the schemas in schema/.

  validate.py [FILE...]                JSON lines (stdin without FILE): each line's
                                       schema is schema/TYPE.schema.json, TYPE its "type"
  validate.py --schema NAME [FILE...]  each FILE (or stdin) is one JSON document
                                       (an array or an object) checked against
                                       schema/NAME.schema.json: report, ps, inspect,
                                       connections, system-report, or a line type
  --require TYPE    JSON lines: fail unless at least one line has this type (repeatable)
  --schema-dir DIR  where the *.schema.json files are (default: the repository's
                    schema/, else $JOBTRACE_SCHEMA_DIR, else /usr/share/jobtrace/schema)
  -q                say nothing when everything is valid
  --summary         each distinct failure once, with its count and its first place

Exit status: 0 when every line and document is valid, 1 when any is not (each
failure is named with its file, line and the path of the failing key), 2 for
a usage error or a schema that cannot be read.

The validator is the Draft 2020-12 one of python3-jsonschema, as Debian ships
it (4.10, with RefResolver) or newer (4.18+, with the referencing registry).
"""
import argparse
import glob
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("validate.py: python3-jsonschema is missing (make deps installs it)\n")
    sys.exit(2)

MAX_ERRORS_PER_RECORD = 5


def schema_dir_default():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.path.join(here, "..", "..", "schema"),
        os.environ.get("JOBTRACE_SCHEMA_DIR", ""),
        "/usr/local/share/jobtrace/schema",
        "/usr/share/jobtrace/schema",
    ]
    for c in candidates:
        if c and glob.glob(os.path.join(c, "*.schema.json")):
            return os.path.normpath(c)
    return None


class Schemas:
    """Every *.schema.json of a folder, by name (its file name less .schema.json)."""

    def __init__(self, folder):
        self.by_name = {}
        self.by_id = {}
        for path in sorted(glob.glob(os.path.join(folder, "*.schema.json"))):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            name = os.path.basename(path)[: -len(".schema.json")]
            jsonschema.Draft202012Validator.check_schema(doc)
            if "$id" not in doc:
                raise ValueError("%s has no $id" % path)
            self.by_name[name] = doc
            self.by_id[doc["$id"]] = doc
        self.validators = {}
        self._registry = None
        try:  # jsonschema 4.18 and later: a registry of every schema, by $id
            from referencing import Registry
            from referencing.jsonschema import DRAFT202012

            self._registry = Registry().with_resources(
                (i, DRAFT202012.create_resource(d)) for i, d in self.by_id.items()
            )
        except ImportError:
            pass

    def validator(self, name):
        if name not in self.validators:
            doc = self.by_name[name]
            if self._registry is not None:
                v = jsonschema.Draft202012Validator(doc, registry=self._registry)
            else:  # Debian 12's jsonschema 4.10: RefResolver with a store of $ids
                resolver = jsonschema.RefResolver.from_schema(doc, store=dict(self.by_id))
                v = jsonschema.Draft202012Validator(doc, resolver=resolver)
            self.validators[name] = v
        return self.validators[name]


def json_path(error):
    """The failing value's place, as $.a.b[3].c."""
    out = "$"
    for p in error.absolute_path:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def describe(error):
    """The failing path and why; for oneOf/anyOf, the branch whose failure went deepest."""
    best = error
    while best.context:
        best = max(best.context, key=lambda e: len(e.absolute_path))
    msg = best.message
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return "%s: %s" % (json_path(best), msg)


class Out:
    """Failures as they come, or with --summary each distinct one once, counted."""

    def __init__(self, f, summary):
        self.f = f
        self.summary = {} if summary else None

    def fail(self, where, what):
        if self.summary is None:
            self.f.write("%s: %s\n" % (where, what))
            return
        seen = self.summary.setdefault(what, [0, where])
        seen[0] += 1

    def close(self):
        for what, (n, first) in (self.summary or {}).items():
            self.f.write("%dx %s (first at %s)\n" % (n, what, first))


def report(where, schema_name, errors, out):
    errors = sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    # One failure can be reached twice (a key's own type and a oneOf over the object).
    said = list(dict.fromkeys(describe(e) for e in errors))
    # A summary says each distinct failure once anyway: it keeps them all.
    cap = len(said) if out.summary is not None else MAX_ERRORS_PER_RECORD
    for d in said[:cap]:
        out.fail(where, "not valid as %s.schema.json: %s" % (schema_name, d))
    if len(said) > cap:
        out.fail(where, "... and %d more errors" % (len(said) - cap))


def open_input(path):
    if path == "-":
        return "<stdin>", sys.stdin
    return path, open(path, encoding="utf-8", errors="surrogateescape")


def check_lines(schemas, paths, counts, out):
    bad = 0
    for path in paths:
        name, f = open_input(path)
        with f:
            for n, line in enumerate(f, 1):
                where = "%s:%d" % (name, n)
                if not line.strip():
                    out.fail(where, "an empty line (a JSON line must hold a record)")
                    bad += 1
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    out.fail(where, "not JSON: %s: %.200s" % (e, line.rstrip("\n")))
                    bad += 1
                    continue
                t = rec.get("type") if isinstance(rec, dict) else None
                if not isinstance(t, str) or t not in schemas.by_name or t == "defs":
                    out.fail(where, "no schema for type %s (a line must be an object whose "
                             "\"type\" names a schema in the schema folder)" % json.dumps(t))
                    bad += 1
                    continue
                counts[t] = counts.get(t, 0) + 1
                errors = list(schemas.validator(t).iter_errors(rec))
                if errors:
                    report(where, t, errors, out)
                    bad += 1
    return bad


def check_documents(schemas, name, paths, counts, out):
    bad = 0
    for path in paths:
        where, f = open_input(path)
        with f:
            text = f.read()
        try:
            doc = json.loads(text)
        except ValueError as e:
            out.fail(where, "not one JSON document: %s" % e)
            bad += 1
            continue
        counts[name] = counts.get(name, 0) + 1
        errors = list(schemas.validator(name).iter_errors(doc))
        if errors:
            report(where, name, errors, out)
            bad += 1
    return bad


def main(argv):
    ap = argparse.ArgumentParser(
        prog="validate.py", description="Validate jobtrace JSON against schema/.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("files", nargs="*", default=["-"])
    ap.add_argument("--schema", metavar="NAME")
    ap.add_argument("--schema-dir", metavar="DIR")
    ap.add_argument("--require", metavar="TYPE", action="append", default=[])
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args(argv)

    folder = a.schema_dir or schema_dir_default()
    if not folder:
        sys.stderr.write("validate.py: no schema folder found (--schema-dir DIR)\n")
        return 2
    try:
        schemas = Schemas(folder)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        sys.stderr.write("validate.py: cannot use the schemas in %s: %s\n" % (folder, e))
        return 2
    if a.schema and a.schema not in schemas.by_name:
        sys.stderr.write("validate.py: no schema %s in %s (there are: %s)\n"
                         % (a.schema, folder, ", ".join(sorted(schemas.by_name))))
        return 2

    counts = {}
    out = Out(sys.stdout, a.summary)
    try:
        if a.schema:
            bad = check_documents(schemas, a.schema, a.files, counts, out)
        else:
            bad = check_lines(schemas, a.files, counts, out)
    except OSError as e:
        sys.stderr.write("validate.py: %s\n" % e)
        return 2
    for t in a.require:
        if not counts.get(t):
            out.fail(", ".join(a.files), "no %s record, though one was required" % t)
            bad += 1
    out.close()
    total = sum(counts.values())
    out = sys.stdout
    if bad:
        out.write("validate.py: %d failed (%d records read)\n" % (bad, total))
        return 1
    if not a.quiet:
        out.write("validate.py: %d valid (%s)\n" % (total, ", ".join(
            "%s %d" % (k, v) for k, v in sorted(counts.items())) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
