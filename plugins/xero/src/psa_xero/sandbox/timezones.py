"""An organisation's ``Timezone`` (Xero's enum of Windows zone names, upper case without spaces)
as an IANA zone, so "today" is the organisation's day (reference 3.2: a missing ``Date``
"defaults to today in the org's timezone").

The table follows the Unicode CLDR Windows-to-IANA mapping (the "001" territory) for every value
of the accounting document's ``TimeZone`` enum.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

IANA = {
    "AFGHANISTANSTANDARDTIME": "Asia/Kabul", "ALASKANSTANDARDTIME": "America/Anchorage",
    "ALEUTIANSTANDARDTIME": "America/Adak", "ALTAISTANDARDTIME": "Asia/Barnaul",
    "ARABIANSTANDARDTIME": "Asia/Dubai", "ARABICSTANDARDTIME": "Asia/Baghdad",
    "ARABSTANDARDTIME": "Asia/Riyadh", "ARGENTINASTANDARDTIME": "America/Argentina/Buenos_Aires",
    "ASTRAKHANSTANDARDTIME": "Europe/Astrakhan", "ATLANTICSTANDARDTIME": "America/Halifax",
    "AUSCENTRALSTANDARDTIME": "Australia/Darwin", "AUSCENTRALWSTANDARDTIME": "Australia/Eucla",
    "AUSEASTERNSTANDARDTIME": "Australia/Sydney", "AZERBAIJANSTANDARDTIME": "Asia/Baku",
    "AZORESSTANDARDTIME": "Atlantic/Azores", "BAHIASTANDARDTIME": "America/Bahia",
    "BANGLADESHSTANDARDTIME": "Asia/Dhaka", "BELARUSSTANDARDTIME": "Europe/Minsk",
    "BOUGAINVILLESTANDARDTIME": "Pacific/Bougainville",
    "CANADACENTRALSTANDARDTIME": "America/Regina", "CAPEVERDESTANDARDTIME": "Atlantic/Cape_Verde",
    "CAUCASUSSTANDARDTIME": "Asia/Yerevan", "CENAUSTRALIASTANDARDTIME": "Australia/Adelaide",
    "CENTRALAMERICASTANDARDTIME": "America/Guatemala", "CENTRALASIASTANDARDTIME": "Asia/Bishkek",
    "CENTRALBRAZILIANSTANDARDTIME": "America/Cuiaba",
    "CENTRALEUROPEANSTANDARDTIME": "Europe/Warsaw", "CENTRALEUROPESTANDARDTIME": "Europe/Budapest",
    "CENTRALPACIFICSTANDARDTIME": "Pacific/Guadalcanal", "CENTRALSTANDARDTIME": "America/Chicago",
    "CENTRALSTANDARDTIME(MEXICO)": "America/Mexico_City",
    "CHATHAMISLANDSSTANDARDTIME": "Pacific/Chatham", "CHINASTANDARDTIME": "Asia/Shanghai",
    "CUBASTANDARDTIME": "America/Havana", "DATELINESTANDARDTIME": "Etc/GMT+12",
    "EAFRICASTANDARDTIME": "Africa/Nairobi", "EASTERISLANDSTANDARDTIME": "Pacific/Easter",
    "EASTERNSTANDARDTIME": "America/New_York", "EASTERNSTANDARDTIME(MEXICO)": "America/Cancun",
    "EAUSTRALIASTANDARDTIME": "Australia/Brisbane", "EEUROPESTANDARDTIME": "Europe/Chisinau",
    "EGYPTSTANDARDTIME": "Africa/Cairo", "EKATERINBURGSTANDARDTIME": "Asia/Yekaterinburg",
    "ESOUTHAMERICASTANDARDTIME": "America/Sao_Paulo", "FIJISTANDARDTIME": "Pacific/Fiji",
    "FLESTANDARDTIME": "Europe/Kyiv", "GEORGIANSTANDARDTIME": "Asia/Tbilisi",
    "GMTSTANDARDTIME": "Europe/London", "GREENLANDSTANDARDTIME": "America/Nuuk",
    "GREENWICHSTANDARDTIME": "Atlantic/Reykjavik", "GTBSTANDARDTIME": "Europe/Bucharest",
    "HAITISTANDARDTIME": "America/Port-au-Prince", "HAWAIIANSTANDARDTIME": "Pacific/Honolulu",
    "INDIASTANDARDTIME": "Asia/Kolkata", "IRANSTANDARDTIME": "Asia/Tehran",
    "ISRAELSTANDARDTIME": "Asia/Jerusalem", "JORDANSTANDARDTIME": "Asia/Amman",
    "KALININGRADSTANDARDTIME": "Europe/Kaliningrad", "KAMCHATKASTANDARDTIME": "Asia/Kamchatka",
    "KOREASTANDARDTIME": "Asia/Seoul", "LIBYASTANDARDTIME": "Africa/Tripoli",
    "LINEISLANDSSTANDARDTIME": "Pacific/Kiritimati", "LORDHOWESTANDARDTIME": "Australia/Lord_Howe",
    "MAGADANSTANDARDTIME": "Asia/Magadan", "MAGALLANESSTANDARDTIME": "America/Punta_Arenas",
    "MARQUESASSTANDARDTIME": "Pacific/Marquesas", "MAURITIUSSTANDARDTIME": "Indian/Mauritius",
    "MIDATLANTICSTANDARDTIME": "Etc/GMT+2", "MIDDLEEASTSTANDARDTIME": "Asia/Beirut",
    "MONTEVIDEOSTANDARDTIME": "America/Montevideo", "MOROCCOSTANDARDTIME": "Africa/Casablanca",
    "MOUNTAINSTANDARDTIME": "America/Denver", "MOUNTAINSTANDARDTIME(MEXICO)": "America/Mazatlan",
    "MYANMARSTANDARDTIME": "Asia/Yangon", "NAMIBIASTANDARDTIME": "Africa/Windhoek",
    "NCENTRALASIASTANDARDTIME": "Asia/Novosibirsk", "NEPALSTANDARDTIME": "Asia/Kathmandu",
    "NEWFOUNDLANDSTANDARDTIME": "America/St_Johns", "NEWZEALANDSTANDARDTIME": "Pacific/Auckland",
    "NORFOLKSTANDARDTIME": "Pacific/Norfolk", "NORTHASIAEASTSTANDARDTIME": "Asia/Irkutsk",
    "NORTHASIASTANDARDTIME": "Asia/Krasnoyarsk", "NORTHKOREASTANDARDTIME": "Asia/Pyongyang",
    "OMSKSTANDARDTIME": "Asia/Omsk", "PACIFICSASTANDARDTIME": "America/Santiago",
    "PACIFICSTANDARDTIME": "America/Los_Angeles", "PACIFICSTANDARDTIME(MEXICO)": "America/Tijuana",
    "PAKISTANSTANDARDTIME": "Asia/Karachi", "PARAGUAYSTANDARDTIME": "America/Asuncion",
    "QYZYLORDASTANDARDTIME": "Asia/Qyzylorda", "ROMANCESTANDARDTIME": "Europe/Paris",
    "RUSSIANSTANDARDTIME": "Europe/Moscow", "RUSSIATIMEZONE10": "Asia/Srednekolymsk",
    "RUSSIATIMEZONE11": "Asia/Kamchatka", "RUSSIATIMEZONE3": "Europe/Samara",
    "SAEASTERNSTANDARDTIME": "America/Cayenne", "SAINTPIERRESTANDARDTIME": "America/Miquelon",
    "SAKHALINSTANDARDTIME": "Asia/Sakhalin", "SAMOASTANDARDTIME": "Pacific/Apia",
    "SAOTOMESTANDARDTIME": "Africa/Sao_Tome", "SAPACIFICSTANDARDTIME": "America/Bogota",
    "SARATOVSTANDARDTIME": "Europe/Saratov", "SAWESTERNSTANDARDTIME": "America/La_Paz",
    "SEASIASTANDARDTIME": "Asia/Bangkok", "SINGAPORESTANDARDTIME": "Asia/Singapore",
    "SOUTHAFRICASTANDARDTIME": "Africa/Johannesburg", "SOUTHSUDANSTANDARDTIME": "Africa/Juba",
    "SRILANKASTANDARDTIME": "Asia/Colombo", "SUDANSTANDARDTIME": "Africa/Khartoum",
    "SYRIASTANDARDTIME": "Asia/Damascus", "TAIPEISTANDARDTIME": "Asia/Taipei",
    "TASMANIASTANDARDTIME": "Australia/Hobart", "TOCANTINSSTANDARDTIME": "America/Araguaina",
    "TOKYOSTANDARDTIME": "Asia/Tokyo", "TOMSKSTANDARDTIME": "Asia/Tomsk",
    "TONGASTANDARDTIME": "Pacific/Tongatapu", "TRANSBAIKALSTANDARDTIME": "Asia/Chita",
    "TURKEYSTANDARDTIME": "Europe/Istanbul", "TURKSANDCAICOSSTANDARDTIME": "America/Grand_Turk",
    "ULAANBAATARSTANDARDTIME": "Asia/Ulaanbaatar",
    "USEASTERNSTANDARDTIME": "America/Indiana/Indianapolis",
    "USMOUNTAINSTANDARDTIME": "America/Phoenix", "UTC": "Etc/UTC", "UTC+12": "Etc/GMT-12",
    "UTC+13": "Etc/GMT-13", "UTC02": "Etc/GMT+2", "UTC08": "Etc/GMT+8", "UTC09": "Etc/GMT+9",
    "UTC11": "Etc/GMT+11", "VENEZUELASTANDARDTIME": "America/Caracas",
    "VLADIVOSTOKSTANDARDTIME": "Asia/Vladivostok", "VOLGOGRADSTANDARDTIME": "Europe/Volgograd",
    "WAUSTRALIASTANDARDTIME": "Australia/Perth", "WCENTRALAFRICASTANDARDTIME": "Africa/Lagos",
    "WESTASIASTANDARDTIME": "Asia/Tashkent", "WESTBANKSTANDARDTIME": "Asia/Hebron",
    "WESTPACIFICSTANDARDTIME": "Pacific/Port_Moresby", "WEUROPESTANDARDTIME": "Europe/Berlin",
    "WMONGOLIASTANDARDTIME": "Asia/Hovd", "YAKUTSKSTANDARDTIME": "Asia/Yakutsk",
    "YUKONSTANDARDTIME": "America/Whitehorse",
}


def zone(xero_timezone: str) -> tzinfo:
    """The IANA zone of a Xero ``Timezone`` value; raises KeyError for a value not in the enum."""
    return ZoneInfo(IANA[xero_timezone])


def org_today(moment: datetime, org: dict) -> str:
    """The organisation's calendar day (``YYYY-MM-DD``) at the aware instant ``moment``."""
    return moment.astimezone(zone(org["organisation"]["Timezone"])).date().isoformat()
