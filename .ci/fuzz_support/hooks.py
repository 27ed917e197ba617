"""Schemathesis hooks for .ci/fuzz (loaded through SCHEMATHESIS_HOOKS).

The workbook imports take an Excel file; schemathesis has no serializer for that media type and
would error out on those operations instead of sending anything. Send the generated value as raw
bytes: a list of byte values (how the document describes the body) as those bytes, anything else
as its JSON text. Either way the server gets a body it must refuse cleanly.
"""

import json

import schemathesis

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@schemathesis.serializer(XLSX)
def xlsx_serializer(ctx, value):
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        data = bytes(v % 256 for v in value)
    else:
        data = json.dumps(value, default=str).encode()
    return {"data": data}
