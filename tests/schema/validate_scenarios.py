#!/usr/bin/python3
"""Validates scenario documents against scenarios/schema/scenario.schema.json with a real JSON
Schema validator (Debian's python3-jsonschema; run with /usr/bin/python3).

usage: validate_scenarios.py SCHEMA [--valid FILE_OR_DIR ...] [--invalid FILE ...]

  --valid    files that must validate; a directory stands for its *.json files, recursively,
             except those under a folder named schema/ or data/ (the schema itself, and data files
             of the examples). Directories that hold no *.json file are an error (nothing checked).
  --invalid  files that must NOT validate (bad fixtures); each error found is printed.

The validator class is the one of the schema's "$schema" (draft 2020-12 today), and the schema is
checked against its meta-schema first. Formats are not asserted (the schema uses none). Prints
"ok" or every error (file, JSON pointer of the value, message) per file; exit code 0 when every
file is as expected, 1 otherwise, 2 on bad usage or unreadable files.
"""
import argparse
import json
import os
import sys

import jsonschema
import jsonschema.validators

SKIPPED_FOLDERS = {"schema", "data"}


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def expand(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
                found += [os.path.join(root, n) for n in sorted(names) if n.endswith(".json")]
            if not found:
                sys.exit(f"validate_scenarios.py: no *.json file under {path}")
            files += found
        else:
            files.append(path)
    return files


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"validate_scenarios.py: {path}: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("schema")
    parser.add_argument("--valid", nargs="+", default=[])
    parser.add_argument("--invalid", nargs="+", default=[])
    args = parser.parse_args()

    schema = load(args.schema)
    validator_class = jsonschema.validators.validator_for(schema, default=None)
    if validator_class is None:
        sys.exit(f"validate_scenarios.py: {args.schema}: unknown $schema {schema.get('$schema')!r}")
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"FAIL {args.schema}: not a valid {validator_class.__name__} schema: "
              f"{pointer(e.absolute_path)}: {e.message}")
        return 1
    validator = validator_class(schema)
    print(f"schema {args.schema}: {validator_class.__name__}, meta-schema ok")

    failed = 0
    valid, invalid = expand(args.valid), expand(args.invalid)
    for path in valid:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: pointer(e.absolute_path))
        if errors:
            failed += 1
            print(f"FAIL {path}: {len(errors)} schema error(s):")
            for e in errors:
                print(f"  {path}: {pointer(e.absolute_path)}: {e.message} (schema {pointer(e.absolute_schema_path)})")
        else:
            print(f"ok   {path}")
    for path in invalid:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: pointer(e.absolute_path))
        if errors:
            print(f"ok   {path}: rejected, {len(errors)} schema error(s):")
            for e in errors:
                print(f"  {path}: {pointer(e.absolute_path)}: {e.message}")
        else:
            failed += 1
            print(f"FAIL {path}: a bad fixture, but the schema accepts it")
    print(f"{len(valid)} valid and {len(invalid)} invalid document(s) checked, {failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
