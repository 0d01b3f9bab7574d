"""Runs moto_server with the sandbox's patches: `python3 moto_server.py -H 127.0.0.1 -p <port>`.

moto finds a user of a pool whose usernames are email addresses by scanning every user
and building a dict of each one's attributes (`CognitoIdpUserPool._get_user`), so each
AdminCreateUser / AdminGetUser / AdminSetUserPassword costs O(pool size): about 16 ms at
3,000 users, and a 100,000-user benchmark would take hours. The patch below keeps an
index from username-attribute value (email, phone number) to username, maintained on
every insert and delete of the pool's users, and rebuilt when a user's email or phone
number changes. Lookups answer exactly what the scan would (the first user whose
attribute matches, else the user with that username).

A second patch makes AdminCreateUser able to create a user CONFIRMED in one step, as AWS does
for a user without a password in a passwordless pool (Cognito developer guide, "Creating user
accounts as administrator", https://docs.aws.amazon.com/cognito/latest/developerguide/how-to-create-user-accounts.html:
"When you create users without passwords, they immediately go into a CONFIRMED state."). The
gateway asks for it with the header below and a TemporaryPassword; moto then keeps that password
as permanent and stores the user already CONFIRMED. Setting the status after the user is in the
pool would let a concurrent ListUsers / AdminGetUser (moto_server is multi-threaded) see it in
FORCE_CHANGE_PASSWORD, a state AWS never shows.

A third patch makes the ID tokens moto issues carry the user attributes the app client may read,
and only those: moto puts in the client's ReadAttributes plus every `custom:` attribute whatever the
client may read, and no standard attribute at all for a client without ReadAttributes. Cognito's
ID token carries the attributes the client can read (a client without the list reads all of them;
see sandbox/cognito/client-attributes.ts for the pages and the reasoning). The token moto signed is
read back, its attribute claims replaced, and signed again with moto's own key, so it still verifies
against moto's JWKS. The gateway filters GetUser by the same rule.

Behaviour is otherwise moto's own. If moto's internals ever differ from what a patch expects,
it is skipped with a note on stderr and moto runs without it (the username index: slower, same
answers; the confirmed create: the gateway falls back to a second call, AdminSetUserPassword; the
ID token claims: moto's own, which show custom attributes a client may not read).
"""

import runpy
import sys
import threading
from collections import OrderedDict

# Sent only by the sandbox gateway, which drops it from callers' requests (sandbox/cognito/index.ts).
PERMANENT_PASSWORD_HEADER = "x-sandbox-permanent-password"


def _install_username_index():
    from moto.cognitoidp import models

    pool_cls = models.CognitoIdpUserPool
    user_cls = models.CognitoIdpUser
    for owner, name in ((pool_cls, "_get_user"), (pool_cls, "__init__"), (user_cls, "update_attributes"), (user_cls, "delete_attributes")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto has no {owner.__name__}.{name}")

    # Bumped whenever any user's username attribute changes value; an index built
    # under an older generation is rebuilt before it answers.
    state = {"generation": 0}

    class IndexedUsers(OrderedDict):
        """The pool's users (username -> user) plus value -> username for its username attributes."""

        def __init__(self, pool, *args):
            self.pool = pool
            self.index = {}
            self.generation = -1
            super().__init__(*args)

        def attribute_types(self):
            return self.pool.extended_config.get("UsernameAttributes") or []

        def _add(self, username, user):
            for t in self.attribute_types():
                value = user.attribute_lookup.get(t)
                if value is not None:
                    self.index.setdefault(value, username)

        def _remove(self, username, user):
            for t in self.attribute_types():
                value = user.attribute_lookup.get(t)
                if value is not None and self.index.get(value) == username:
                    del self.index[value]
                    # Another user may carry the same value (moto does not forbid it everywhere).
                    self.generation = -1

        def rebuild(self):
            self.index = {}
            for username, user in self.items():
                self._add(username, user)
            self.generation = state["generation"]

        def __setitem__(self, username, user):
            if username in self:
                self._remove(username, self[username])
            super().__setitem__(username, user)
            self._add(username, user)

        def __delitem__(self, username):
            user = self[username]
            super().__delitem__(username)
            self._remove(username, user)

        def pop(self, username, *default):
            if username in self:
                user = self[username]
                super().__delitem__(username)
                self._remove(username, user)
                return user
            return super().pop(username, *default)

        def clear(self):
            super().clear()
            self.index = {}

    original_init = pool_cls.__init__

    def pool_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.users = IndexedUsers(self, self.users)

    def get_user(self, username):
        users = self.users
        if self.extended_config.get("UsernameAttributes") and isinstance(users, IndexedUsers):
            if users.generation != state["generation"]:
                users.rebuild()
            key = users.index.get(username)
            if key is not None and key in users:
                return users[key]
        elif self.extended_config.get("UsernameAttributes"):
            return original_get_user(self, username)
        return users.get(username)

    original_get_user = pool_cls._get_user

    def watch(method):
        def wrapper(self, *args, **kwargs):
            before = (self.attribute_lookup.get("email"), self.attribute_lookup.get("phone_number"))
            try:
                return method(self, *args, **kwargs)
            finally:
                if (self.attribute_lookup.get("email"), self.attribute_lookup.get("phone_number")) != before:
                    state["generation"] += 1

        return wrapper

    pool_cls.__init__ = pool_init
    pool_cls._get_user = get_user
    user_cls.update_attributes = watch(user_cls.update_attributes)
    user_cls.delete_attributes = watch(user_cls.delete_attributes)


def _install_confirmed_create():
    from moto.cognitoidp import models, responses

    response_cls = responses.CognitoIdpResponse
    user_cls = models.CognitoIdpUser
    for owner, name in ((response_cls, "admin_create_user"), (user_cls, "__init__")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto has no {owner.__name__}.{name}")
    confirmed = models.UserStatus.CONFIRMED

    # Set by the AdminCreateUser handler for the request it serves; the user that request
    # constructs (moto builds exactly one) starts CONFIRMED, before the pool holds it.
    request = threading.local()

    original_handler = response_cls.admin_create_user

    def admin_create_user(self):
        request.confirm = self.headers.get(PERMANENT_PASSWORD_HEADER) == "1" and bool(self._get_param("TemporaryPassword"))
        try:
            return original_handler(self)
        finally:
            request.confirm = False

    original_init = user_cls.__init__

    def user_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if getattr(request, "confirm", False):
            request.confirm = False
            self.status = confirmed

    response_cls.admin_create_user = admin_create_user
    user_cls.__init__ = user_init


def _install_readable_id_tokens():
    from moto.cognitoidp import models

    pool_cls = models.CognitoIdpUserPool
    for name in ("create_id_token", "_get_user"):
        if not callable(getattr(pool_cls, name, None)):
            raise RuntimeError(f"moto has no {pool_cls.__name__}.{name}")
    jwt = models.jwt
    verified = ("email_verified", "phone_number_verified")

    original = pool_cls.create_id_token

    def readable(client, attribute):
        # Same rule as mayRead in sandbox/cognito/client-attributes.ts.
        listed = (client.extended_config.get("ReadAttributes") or []) if client is not None else []
        return attribute == "sub" or not listed or attribute in listed

    def create_id_token(self, client_id, username, origin_jti):
        token, expires_in = original(self, client_id, username, origin_jti)
        user = self._get_user(username)
        client = self.clients.get(client_id)
        decoded = jwt.decode(token, self.json_web_key)
        claims = dict(decoded.claims)
        for attribute in user.attributes:
            name, value = attribute["Name"], attribute.get("Value")
            if name == "sub":
                continue
            if not readable(client, name):
                claims.pop(name, None)
            elif value is not None:
                # Cognito's ID token has the verified flags as JSON booleans.
                claims[name] = (value == "true") if name in verified else value
        signed = jwt.encode(dict(decoded.header), claims, self.json_web_key)
        self.id_tokens.pop(token, None)
        self.id_tokens[signed] = (client_id, username)
        return signed, expires_in

    pool_cls.create_id_token = create_id_token


if __name__ == "__main__":
    try:
        _install_username_index()
    except Exception as exc:  # noqa: BLE001 - any mismatch means "run moto as it is"
        print(f"sandbox: moto username index not installed ({exc}); moto runs unpatched", file=sys.stderr)
    try:
        _install_confirmed_create()
    except Exception as exc:  # noqa: BLE001 - the gateway confirms with a second call instead
        print(f"sandbox: moto confirmed AdminCreateUser not installed ({exc}); the gateway confirms in a second call", file=sys.stderr)
    try:
        _install_readable_id_tokens()
    except Exception as exc:  # noqa: BLE001 - tokens then carry moto's own claims
        print(f"sandbox: moto readable ID token claims not installed ({exc}); ID tokens carry moto's claims", file=sys.stderr)
    sys.argv[0] = "moto_server"
    runpy.run_module("moto.server", run_name="__main__", alter_sys=True)
