def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    header = request["headers"].get("accept-language", [{"value": "en"}])[0]["value"]
    lang = "de" if header.lower().startswith("de") else "en"
    request["uri"] = "/" + lang + request["uri"]
    return request
