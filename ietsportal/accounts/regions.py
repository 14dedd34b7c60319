"""Provincial-level regions of the PRC by the first two digits of the administrative division
code (GB/T 2260), which is also digits 3–4 of a USCC (统一社会信用代码)."""

from django.utils.translation import gettext_lazy as _

PROVINCES = {
    "11": _("Beijing"),
    "12": _("Tianjin"),
    "13": _("Hebei"),
    "14": _("Shanxi"),
    "15": _("Inner Mongolia"),
    "21": _("Liaoning"),
    "22": _("Jilin"),
    "23": _("Heilongjiang"),
    "31": _("Shanghai"),
    "32": _("Jiangsu"),
    "33": _("Zhejiang"),
    "34": _("Anhui"),
    "35": _("Fujian"),
    "36": _("Jiangxi"),
    "37": _("Shandong"),
    "41": _("Henan"),
    "42": _("Hubei"),
    "43": _("Hunan"),
    "44": _("Guangdong"),
    "45": _("Guangxi"),
    "46": _("Hainan"),
    "50": _("Chongqing"),
    "51": _("Sichuan"),
    "52": _("Guizhou"),
    "53": _("Yunnan"),
    "54": _("Tibet"),
    "61": _("Shaanxi"),
    "62": _("Gansu"),
    "63": _("Qinghai"),
    "64": _("Ningxia"),
    "65": _("Xinjiang"),
}
REGION_CHOICES = sorted(PROVINCES.items())


def region_of_uscc(uscc: str) -> str:
    """The province code a USCC was registered in (its 3rd and 4th characters)."""
    code = uscc[2:4]
    return code if code in PROVINCES else ""
