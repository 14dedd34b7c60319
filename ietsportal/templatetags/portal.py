from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`posted|get_item:field.name` — a value from a dict by a variable key."""
    if hasattr(mapping, "get"):
        value = mapping.get(key, "")
        return "" if value is None else value
    return ""


@register.filter
def contains(collection, value):
    if collection is None:
        return False
    if isinstance(collection, str):
        return collection == str(value)
    return str(value) in {str(v) for v in collection}
