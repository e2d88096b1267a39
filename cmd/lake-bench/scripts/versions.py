"""Prints the versions of the Python peers as JSON: {"duckdb": "1.5.5", ...};
a package that does not import gives "NAME_error" instead, with the reason."""

import importlib
import importlib.metadata
import json

versions = {}
for name in ("duckdb", "pyarrow", "connectorx"):
    try:
        importlib.import_module(name)
        versions[name] = importlib.metadata.version(name)
    except Exception as e:  # noqa: BLE001 - any failure means "cannot measure it"
        versions[name + "_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(versions))
