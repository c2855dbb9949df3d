"""A tiny but valid one-page PDF for ``/invoice/<id>/pdf`` (reference 7)."""
from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def invoice_pdf(company, entity: str, txn: dict) -> bytes:
    lines = [f"{company.info.get('CompanyName', '')}",
             f"{entity} {txn.get('DocNumber') or txn['Id']}  Date {txn.get('TxnDate', '')}",
             f"Customer: {txn.get('CustomerRef', {}).get('name', '')}",
             f"Total: {txn.get('TotalAmt', 0)}  Balance: {txn.get('Balance', 0)}"]
    text = "BT /F1 12 Tf 50 780 Td 16 TL " + " ".join(f"({_escape(l)}) Tj T*" for l in lines) + " ET"
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
