"""The owner of a real instance, as a browser without JavaScript: cookies and CSRF."""


class OwnerBrowser:
    """The owner at a real instance over HTTP: cookies and CSRF tokens as a browser keeps them."""

    def __init__(self, inst):
        import http.cookiejar
        import urllib.request

        self.url = inst.url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        return self.opener.open(self.url + path, timeout=10).read().decode()

    def post(self, path: str, fields: dict, *, page: str | None = None) -> str:
        """POST `fields` to `path` as the form on `page` (by default `path`) would, following the redirect."""
        from urllib.parse import urlencode

        self.get(page or path)  # sets the CSRF cookie
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        return self.opener.open(self.url + path, data, timeout=60).read().decode()
