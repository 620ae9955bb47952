"""What the end-to-end scripts share: local tokens from `devtool` and JSON calls to the API."""
import json
import subprocess
import urllib.error
import urllib.request


class Api:
    def __init__(self, base, devtool, secret):
        self.base, self.devtool, self.secret = base, devtool, secret

    def token(self, user, email):
        """A local token for the user, email verified."""
        return subprocess.check_output([self.devtool, "token", self.secret, user, email], text=True).strip()

    def call(self, method, path, tok, body=None, headers=None):
        """(status, JSON body or None)."""
        return self.call_full(method, path, tok, body, headers)[:2]

    def call_full(self, method, path, tok, body=None, headers=None):
        """(status, JSON body or None, response headers)."""
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Authorization": "Bearer " + tok, "content-type": "application/json"}
        sent.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), dict(e.headers)
