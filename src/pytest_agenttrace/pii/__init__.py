"""Personal data in traces: consistent pseudonymization (for `convert` and cassettes) and `agenttrace scan`.

```python
from pytest_agenttrace.pii import format_report, load_pii_settings

p = load_pii_settings().pseudonymizer()   # salt, fields, patterns, allowlist from [tool.agenttrace]
clean = p.transform_trace(trace)          # every value replaced by a stable placeholder, everywhere
print(format_report(p))                   # kinds and counts, never values
```

Names are found from the fields that hold them (`name` in a customer's record, `customer_name`, `first_name`,
...) and then replaced wherever they occur, their single tokens too (>= 3 letters, capitalised). No NER model
runs (Presidio needs a spaCy model that cannot be installed from PyPI): a name that never appears in such a
field, only in free text, is not found. To rewrite pieces separately (a cassette's strings), `p.discover(trace)`
first, then pass `p.replace` as the transform.
"""

from __future__ import annotations

from ._detect import Detector, Hit
from ._fields import DEFAULT_PII_FIELDS, PII_ATTRIBUTE_KEYS, SECRET_FIELDS
from ._pseudonymize import Pseudonymizer
from ._scan import PRE_COMMIT_HOOK, SCAN_SUFFIXES, Finding, add_scan_parser, mask, run_scan, scan_paths, scan_text
from ._settings import (
    DEFAULT_SALT,
    NO_SALT_WARNING,
    SALT_ENV,
    PiiSettings,
    format_report,
    load_pii_settings,
    resolve_salt,
    settings_from_table,
    write_mapping_file,
)

__all__ = [
    "DEFAULT_PII_FIELDS",
    "DEFAULT_SALT",
    "NO_SALT_WARNING",
    "PII_ATTRIBUTE_KEYS",
    "PRE_COMMIT_HOOK",
    "SALT_ENV",
    "SCAN_SUFFIXES",
    "SECRET_FIELDS",
    "Detector",
    "Finding",
    "Hit",
    "PiiSettings",
    "Pseudonymizer",
    "add_scan_parser",
    "format_report",
    "load_pii_settings",
    "mask",
    "resolve_salt",
    "run_scan",
    "scan_paths",
    "scan_text",
    "settings_from_table",
    "write_mapping_file",
]
