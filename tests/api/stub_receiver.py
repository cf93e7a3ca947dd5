"""A local HTTP receiver that records what uniops sends (bodies, headers, query strings)
and answers with a configurable status and body."""
import http.server
import json
import threading
import time
import urllib.parse


class Receiver:
    def __init__(self, status=200, reply=None):
        self.requests = []
        self.status = status
        self.reply = reply if reply is not None else {"ok": True}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                parsed = urllib.parse.urlparse(self.path)
                outer.requests.append({
                    "path": parsed.path,
                    "query": urllib.parse.parse_qs(parsed.query),
                    "raw_query": parsed.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": json.loads(body) if body else None,
                })
                data = json.dumps(outer.reply).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.requests) < n:
            time.sleep(0.05)
        return self.requests

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
