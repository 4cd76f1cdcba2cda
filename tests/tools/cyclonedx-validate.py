"""Validates CycloneDX 1.5 JSON documents against the official schema, with the CycloneDX
project's own Python library (PyPI `cyclonedx-python-lib[json-validation]`).

    usage: python3 tests/tools/cyclonedx-validate.py BOM.json...
    exit:  0 valid, 1 invalid (the schema error printed), 2 cannot run
"""
import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
except ImportError as e:
    print(f"cyclonedx-validate: cyclonedx-python-lib is not installed ({e})", file=sys.stderr)
    print("help: run tests/engine/install-tools.sh", file=sys.stderr)
    sys.exit(2)

validator = JsonStrictValidator(SchemaVersion.V1_5)
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        error = validator.validate_str(f.read())
    if error is not None:
        failed = True
        print(f"{path}: {error}")
sys.exit(1 if failed else 0)
