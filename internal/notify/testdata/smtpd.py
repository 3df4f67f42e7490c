"""An SMTP server for vigil's e-mail tests, built on aiosmtpd.

Usage: smtpd.py HOST PORT OUTDIR MODE CERT KEY USER PASSWORD
MODE is "starttls" (STARTTLS required before AUTH and MAIL) or "plain"
(no TLS offered; AUTH still required). Each accepted message is written to
OUTDIR as N.eml with N.json describing the envelope, the login and whether
the session was encrypted. Prints READY when listening; stops at EOF on
standard input.
"""
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    host, port, outdir, mode, cert, key, user, password = sys.argv[1:9]
    count = [0]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            count[0] += 1
            base = os.path.join(outdir, str(count[0]))
            with open(base + ".eml", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": (session.login_data or b"").decode(),
                "tls": server._tls_protocol is not None,
            }
            with open(base + ".json", "w") as f:
                json.dump(meta, f)
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    kwargs = dict(authenticator=authenticator, auth_required=True)
    if mode == "starttls":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
    else:
        kwargs.update(auth_require_tls=False)
    controller = Controller(Handler(), hostname=host, port=int(port), **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
