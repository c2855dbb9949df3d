"""QuickBooks-shaped errors: the service ``Fault`` envelope, the gateway (auth) envelope and the
XML throttle fault (reference sections 8.1-8.3 and sample S4)."""
from __future__ import annotations

from xml.sax.saxutils import escape


class QboFault(Exception):
    """A service-level fault; rendered as ``{"Fault": {"Error": [...], "type": ...}, "time": ...}``."""

    def __init__(self, code: str | int, message: str, detail: str = "", element: str = "",
                 status: int = 400, fault_type: str = "ValidationFault") -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict:
        return {"Error": [{"Message": self.message, "Detail": self.detail, "code": self.code,
                           "element": self.element}], "type": self.fault_type}


# Helpers for the codes the sandbox raises (texts follow Intuit's list; see the reference 8.3).
def required(field: str, element: str | None = None) -> QboFault:
    return QboFault(2020, "Required param missing, need to supply the required value for the API",
                    f"Required parameter {field} is missing in the request", element or field)


def invalid_ref(element: str) -> QboFault:
    return QboFault(2500, "Invalid Reference Id", f"Invalid Reference Id : {element}", element)


def inactive_ref(element: str) -> QboFault:
    return QboFault(610, "Object Not Found",
                    "Something you're trying to use has been made inactive. Check the fields with "
                    "accounts, customers, items, vendors or employees.", element)


def not_found(entity: str, ident: str) -> QboFault:
    return QboFault(610, "Object Not Found",
                    f"Object Not Found : Something you're trying to use has been made inactive or "
                    f"deleted. {entity} Id={ident}", "")


def too_long(element: str, limit: int) -> QboFault:
    return QboFault(2050, "Invalid String Length",
                    f"String length is either shorter or longer than supported by specification. "
                    f"Min:0 Max:{limit} supported. Supplied length:", element)


def unsupported(detail: str) -> QboFault:
    return QboFault(500, "Unsupported Operation", detail)


def bad_property(detail: str, element: str = "") -> QboFault:
    return QboFault(2010, "Request has invalid or unsupported property",
                    f"Property Name:{detail}", element)


def business(detail: str, code: int = 6000, element: str = "") -> QboFault:
    return QboFault(code, "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}", element)


def duplicate_name(kind: str = "customer, vendor or employee") -> QboFault:
    return QboFault(6240, "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {kind} is already using this "
                    "name. Please use a different name.")


def stale(user: str = "Sandbox Admin") -> QboFault:
    return QboFault(5010, "Stale Object Error",
                    f"Stale Object Error : You and {user} were working on this at the same time. "
                    f"{user} finished before you did, so your work was not saved.")


def gateway_error(message: str, detail: str, code: str, status: int, fault_type: str,
                  epoch_ms: int) -> dict:
    """The lower-case envelope used for authentication/authorization failures (8.2)."""
    return {
        "warnings": None, "intuitObject": None,
        "fault": {"error": [{"message": message, "detail": detail, "code": code, "element": None}],
                  "type": fault_type},
        "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
        "syncErrorResponse": None, "requestId": None, "time": epoch_ms, "status": None,
        "cdcresponse": [],
    }


def throttle_xml(time_str: str) -> str:
    """The XML 3001 ThrottleExceeded fault QBO sends with HTTP 429 (sample S4)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{escape(time_str)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n    <Error code="3001">\n'
        "      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
        "      <Detail>The request limit was reached.  Try again later</Detail>\n"
        "    </Error>\n  </Fault>\n</IntuitResponse>\n"
    )
