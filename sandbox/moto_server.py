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

A fourth patch makes ListUsers cost O(page) per page instead of O(pool): moto builds the whole
(filtered) list of the pool's users for every page and finds the page's start by comparing each
user with the token, so listing a 10,000-user pool took 12 s and a 50,000-user pool minutes. A
listing's users are now taken once, on its first page, and kept under an id its tokens carry:
unfiltered, a copy of the pool's users in moto's order (creation order), O(pool) once; with
`sub ^= "<prefix>"` or `sub = "<value>"`, a range of a sorted index of subs (kept by the username
index's IndexedUsers on every insert and delete), O(matches + log pool), so parallel segments by sub
prefix do not each scan the pool; any other filter, moto's own filter function, once per listing.
Answers are moto's: the same users in the same order, the same JSON and errors (a malformed token,
one moto never issued, an expired one or one of another pool or filter: InvalidToken "Invalid
token"), Limit as moto takes it (absent or 0: 60; moto enforces no maximum), no PaginationToken on
the last page. Two differences, both what a client of Cognito may expect: a user deleted during a
listing is skipped (moto answered InvalidToken when the deleted user was the next page's first), and
a user created during a listing is not in it (a listing shows the pool as it was on its first page;
AWS does not document this; see sandbox/README.md). A user whose attributes change during a
filtered listing is listed (or not) by its attributes on the first page, with its current
attributes. Listings are dropped after 15 minutes unused, beyond 2,048 listings or beyond 2 million
listed users in all, least recently used first, so a long-running sandbox does not grow.

Two more patches take moto's fixed cost per request down; the replicator benchmark had moto_server
at 75-100 % of a core at about 35 replicated users a second, whatever the quota. A sixth patch:
moto picks the service for every request under one lock shared by all its threads, and inside it
lists moto's package directory (about 180 `isdir` calls) and tries its URL patterns one by one;
every request also wrote an access-log line to stderr through a locked handler. The directory list
is now taken once, each host's service is remembered after its first request (the mapping is fixed
for the process), and the access log is off (warnings and errors still reach stderr). A seventh:
DynamoDB Streams GetRecords went through moto's model-driven serializer, about 27 ms of CPU a call
at ~20 records (a quarter of moto's CPU in that benchmark); the records are written with
json.dumps instead (same fields and values; sandbox/moto-fast-paths.test.ts compares them with
moto's own). Measured with per-request thread CPU time: the same 1,500 users went from about 42
to 53 users a second, moto_server spending ~1.3 ms of CPU a request, most of it moto's generic
request handling (a PutItem's table work is 0.1 ms of it).

An eighth patch sets the issuer (`iss`) of a pool's tokens when the gateway asks (a header on
DescribeUserPool): a pool with the updated issuer (IssuerConfiguration UPDATED) and a native
replica's secondary, whose tokens name the primary's pool id (Cognito API reference,
IssuerConfigurationType; sandbox/cognito/token-issuer.ts). The token is decoded, its `iss`
replaced and signed again with moto's own key, before moto stores it, so GetUser and refresh find it.

Behaviour is otherwise moto's own. If moto's internals ever differ from what a patch expects,
it is skipped with a note on stderr and moto runs without it (the username index: slower, same
answers; the fast ListUsers: moto's O(pool) per page; the confirmed create: the gateway falls back to a second call, AdminSetUserPassword; the
ID token claims: moto's own, which show custom attributes a client may not read; the fast routing and
stream reads: moto's own, slower).
"""

import base64
import bisect
import inspect
import json
import logging
import re
import runpy
import secrets
import sys
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone

# Sent only by the sandbox gateway, which drops it from callers' requests (sandbox/cognito/index.ts).
PERMANENT_PASSWORD_HEADER = "x-sandbox-permanent-password"
# An AdminCreateUser carrying this header gets a user with this sub instead of a random one: the
# gateway's copy of a user in a replica (secondary) user pool, which keeps the primary's user ids.
USER_SUB_HEADER = "x-sandbox-user-sub"

# A DescribeUserPool carrying this header sets the issuer (`iss`) of the tokens the pool issues from
# then on, and the client ids they name (a secondary's tokens name the primary's app clients). The gateway sets it from the pool's IssuerConfiguration and, for a
# native replica's secondary, from the primary's pool id (sandbox/cognito/token-issuer.ts).
TOKEN_ISSUER_HEADER = "x-sandbox-token-issuer"

# Guards every pool's sorted sub index (moto_server serves requests on several threads).
SUB_INDEX_LOCK = threading.Lock()

# ListUsers listings kept for their pagination tokens: at most this many, holding at most this many
# users in all, each dropped after this long unused (the least recently used go first).
MAX_LISTINGS = 2048
MAX_LISTED_USERS = 2_000_000
LISTING_IDLE_SECONDS = 15 * 60

# A ListUsers request carrying this header ("1") gets back how many users the listing looked at
# (sandbox/moto-index.test.ts's cost test); answers to other requests are moto's, unchanged.
COUNT_WORK_HEADER = "x-sandbox-count-work"


def _install_username_index():
    from moto.cognitoidp import models

    pool_cls = models.CognitoIdpUserPool
    user_cls = models.CognitoIdpUser
    for owner, name in ((pool_cls, "_get_user"), (pool_cls, "__init__"), (user_cls, "update_attributes"), (user_cls, "delete_attributes")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto has no {owner.__name__}.{name}")

    # Bumped whenever any user's username attribute changes value; an index built
    # under an older generation is rebuilt before it answers.
    state = {"generation": 0, "subs_generation": 0}

    class IndexedUsers(OrderedDict):
        """The pool's users (username -> user) plus value -> username for its username attributes."""

        def __init__(self, pool, *args):
            self.pool = pool
            self.index = {}
            self.generation = -1
            # For ListUsers (_install_fast_list_users): each user's insertion number (moto lists in
            # insertion order) and (sub, number, username) sorted, so a sub prefix is a range.
            self.sequence = {}
            self.next_sequence = 0
            self.subs = []
            self.subs_generation = state["subs_generation"]
            super().__init__(*args)

        def attribute_types(self):
            return self.pool.extended_config.get("UsernameAttributes") or []

        def _sub_entry(self, username, user):
            sub = user.attribute_lookup.get("sub")
            return None if sub is None else (sub, self.sequence[username], username)

        def _add(self, username, user):
            entry = self._sub_entry(username, user)
            if entry is not None:
                with SUB_INDEX_LOCK:
                    bisect.insort(self.subs, entry)
            self._index(username, user)

        def _index(self, username, user):
            for t in self.attribute_types():
                value = user.attribute_lookup.get(t)
                if value is not None:
                    self.index.setdefault(value, username)

        def _remove(self, username, user):
            entry = self._sub_entry(username, user)
            if entry is not None:
                with SUB_INDEX_LOCK:
                    i = bisect.bisect_left(self.subs, entry)
                    if i < len(self.subs) and self.subs[i] == entry:
                        del self.subs[i]
            for t in self.attribute_types():
                value = user.attribute_lookup.get(t)
                if value is not None and self.index.get(value) == username:
                    del self.index[value]
                    # Another user may carry the same value (moto does not forbid it everywhere).
                    self.generation = -1

        def rebuild(self):
            # The username index only: the sub index is kept apart (re-adding its entries here listed
            # every user twice after any deletion in a pool with username attributes).
            self.index = {}
            for username, user in self.items():
                self._index(username, user)
            self.generation = state["generation"]

        def sub_range(self, value, prefix):
            """Users whose sub equals `value` (or starts with it when `prefix`), in insertion order,
            and how many index entries were looked at."""
            with SUB_INDEX_LOCK:
                if self.subs_generation != state["subs_generation"]:
                    # A sub changed (moto lets nothing change one, but the index never lies).
                    self.subs = sorted(e for e in (self._sub_entry(u, user) for u, user in self.items()) if e is not None)
                    self.subs_generation = state["subs_generation"]
                i = bisect.bisect_left(self.subs, (value,))
                examined = max(1, len(self.subs).bit_length())
                found = []
                while i < len(self.subs):
                    entry = self.subs[i]
                    examined += 1
                    if not (entry[0].startswith(value) if prefix else entry[0] == value):
                        break
                    found.append(entry)
                    i += 1
            found.sort(key=lambda e: e[1])
            return [self[e[2]] for e in found if e[2] in self], examined

        def __setitem__(self, username, user):
            if username in self:
                self._remove(username, self[username])
            else:
                # A key set again keeps its place in the dict, and so its number.
                self.sequence[username] = self.next_sequence
                self.next_sequence += 1
            super().__setitem__(username, user)
            self._add(username, user)

        def __delitem__(self, username):
            user = self[username]
            super().__delitem__(username)
            self._remove(username, user)
            del self.sequence[username]

        def pop(self, username, *default):
            if username in self:
                user = self[username]
                del self[username]
                return user
            return super().pop(username, *default)

        def clear(self):
            super().clear()
            self.index = {}
            self.sequence = {}
            with SUB_INDEX_LOCK:
                self.subs = []

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
            sub = self.attribute_lookup.get("sub")
            try:
                return method(self, *args, **kwargs)
            finally:
                if (self.attribute_lookup.get("email"), self.attribute_lookup.get("phone_number")) != before:
                    state["generation"] += 1
                # A user being constructed gets its first sub here, before any pool holds it.
                if sub is not None and self.attribute_lookup.get("sub") != sub:
                    state["subs_generation"] += 1

        return wrapper

    pool_cls.__init__ = pool_init
    pool_cls._get_user = get_user
    user_cls.update_attributes = watch(user_cls.update_attributes)
    user_cls.delete_attributes = watch(user_cls.delete_attributes)


def _install_fast_list_users():
    from moto.cognitoidp import models, responses, utils
    from moto.core.exceptions import InvalidToken

    backend_cls = models.CognitoIdpBackend
    response_cls = responses.CognitoIdpResponse
    moto_filtered = getattr(backend_cls.list_users, "__wrapped__", None)
    if not callable(moto_filtered) or not callable(getattr(response_cls, "list_users", None)):
        raise RuntimeError("moto has no paginated CognitoIdpBackend.list_users")
    model = utils.PAGINATION_MODEL.get("list_users", {})
    if (model.get("input_token"), model.get("limit_key"), model.get("limit_default")) != ("pagination_token", "limit", 60):
        raise RuntimeError(f"moto paginates list_users differently: {model}")
    if inspect.getfullargspec(moto_filtered).args != ["self", "user_pool_id", "filt"]:
        raise RuntimeError("moto's list_users takes other arguments")

    class Listing:
        __slots__ = ("pool_id", "filt", "users", "used")

        def __init__(self, pool_id, filt, users):
            self.pool_id, self.filt, self.users, self.used = pool_id, filt, users, time.monotonic()

    listings = OrderedDict()  # listing id -> Listing, least recently used first
    listings_lock = threading.Lock()
    held = {"users": 0}  # snapshot entries over all listings
    # How many users this thread's last ListUsers looked at, for the cost test's header.
    work = threading.local()

    def remember(listing):
        listing_id = secrets.token_hex(8)
        now = time.monotonic()
        with listings_lock:
            listings[listing_id] = listing
            held["users"] += len(listing.users)
            # Never the listing just added: its caller is about to ask for its second page.
            while len(listings) > 1 and (
                len(listings) > MAX_LISTINGS
                or held["users"] > MAX_LISTED_USERS
                or now - next(iter(listings.values())).used > LISTING_IDLE_SECONDS
            ):
                _, old = listings.popitem(last=False)
                held["users"] -= len(old.users)
        return listing_id

    def token_for(listing_id, position):
        return base64.urlsafe_b64encode(f"{listing_id}:{position}".encode()).decode()

    def parse_token(token):
        # moto decodes a token before it looks at the pool: a malformed one is refused first.
        try:
            listing_id, position = base64.urlsafe_b64decode(str(token).encode()).decode().split(":")
            return listing_id, int(position)
        except (ValueError, TypeError, UnicodeDecodeError):
            raise InvalidToken("Invalid token") from None

    def find_listing(listing_id, position, pool_id, filt):
        with listings_lock:
            listing = listings.get(listing_id)
            if listing is not None:
                listings.move_to_end(listing_id)
                listing.used = time.monotonic()
        # Expired, never issued, or issued for another pool or filter.
        if listing is None or listing.pool_id != pool_id or (listing.filt or "") != (filt or "") or not 0 <= position <= len(listing.users):
            raise InvalidToken("Invalid token")
        return listing

    sub_filter = re.compile(r'sub\s*(=|\^=)\s*"(.*)"')

    def matching(self, pool, user_pool_id, filt):
        """The users the listing returns, in moto's order, and how many users it looked at."""
        if not filt:
            return list(pool.users.values()), len(pool.users)
        parsed = sub_filter.fullmatch(filt)
        if parsed and hasattr(pool.users, "sub_range"):
            return pool.users.sub_range(parsed.group(2), parsed.group(1) == "^=")
        # moto's own filter, its errors included: once per listing, not per page.
        return moto_filtered(self, user_pool_id, filt), len(pool.users)

    def list_users(self, user_pool_id, filt, limit=None, pagination_token=None):
        listing_id, position = (None, 0) if pagination_token is None else parse_token(pagination_token)
        pool = self.describe_user_pool(user_pool_id)
        limit = limit if limit else model["limit_default"]
        if listing_id is None:
            users, examined = matching(self, pool, user_pool_id, filt)
            listing = Listing(user_pool_id, filt, users)
        else:
            listing = find_listing(listing_id, position, user_pool_id, filt)
            examined = 0
        live = pool.users
        users = listing.users
        page = []
        # Users deleted since the listing began are skipped; a user created since then is not in it.
        while position < len(users) and len(page) < limit:
            user = users[position]
            position += 1
            examined += 1
            if live.get(user.username) is user:
                page.append(user)
        while position < len(users) and live.get(users[position].username) is not users[position]:
            position += 1
            examined += 1
        work.examined = examined
        if position >= len(users):
            return page, None
        if listing_id is None:
            listing_id = remember(listing)
        return page, token_for(listing_id, position)

    original_handler = response_cls.list_users

    def list_users_handler(self):
        work.examined = None
        result = original_handler(self)
        if self.headers.get(COUNT_WORK_HEADER) == "1" and work.examined is not None:
            self.response_headers[COUNT_WORK_HEADER] = str(work.examined)
        return result

    backend_cls.list_users = list_users
    response_cls.list_users = list_users_handler


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
        request.sub = self.headers.get(USER_SUB_HEADER) or None
        try:
            return original_handler(self)
        finally:
            request.confirm = False
            request.sub = None

    original_init = user_cls.__init__

    def user_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if getattr(request, "confirm", False):
            request.confirm = False
            self.status = confirmed
        sub = getattr(request, "sub", None)
        if sub:
            # A replica pool's copy keeps the primary's sub (and, where the username is the sub, the username).
            request.sub = None
            if self.username == self.id:
                self.username = sub
            self.id = sub
            self.update_attributes([{"Name": "sub", "Value": sub}])

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


def _install_token_issuer():
    from moto.cognitoidp import models, responses

    pool_cls = models.CognitoIdpUserPool
    response_cls = responses.CognitoIdpResponse
    for owner, name in ((pool_cls, "create_jwt"), (response_cls, "describe_user_pool")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"moto has no {owner.__name__}.{name}")
    jwt = models.jwt
    original_describe = response_cls.describe_user_pool
    original_create_jwt = pool_cls.create_jwt

    def describe_user_pool(self):
        # The header is JSON: {"iss": <issuer or null: moto's own>, "clients": {<moto's client id>: <id shown>}}.
        given = self.headers.get(TOKEN_ISSUER_HEADER)
        if given:
            pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
            settings = json.loads(given)
            pool.sandbox_token_issuer = settings.get("iss") or None
            pool.sandbox_client_ids = settings.get("clients") or {}
        return original_describe(self)

    def create_jwt(self, *args, **kwargs):
        token, expires_in = original_create_jwt(self, *args, **kwargs)
        issuer = getattr(self, "sandbox_token_issuer", None)
        clients = getattr(self, "sandbox_client_ids", None) or {}
        if not issuer and not clients:
            return token, expires_in
        decoded = jwt.decode(token, self.json_web_key)
        claims = dict(decoded.claims)
        if issuer:
            claims["iss"] = issuer
        for claim in ("aud", "client_id"):
            if claims.get(claim) in clients:
                claims[claim] = clients[claims[claim]]
        return jwt.encode(dict(decoded.header), claims, self.json_web_key), expires_in

    response_cls.describe_user_pool = describe_user_pool
    pool_cls.create_jwt = create_jwt


def _install_no_bucket_policy_checks():
    """moto applies a bucket's policy to object reads and writes itself, and sees every request over
    plain HTTP from loopback, so `aws:SecureTransport` is always false there: a TLS-only bucket
    policy (a Deny on `aws:SecureTransport` false, as AWS recommends and the project's buckets have)
    denied every object call with an empty 403. The sandbox gateway authorizes calls itself, the AWS
    way; moto's own bucket-policy verdict is made neutral."""
    from moto.s3 import models
    from moto.iam.access_control import PermissionResult

    bucket_cls = models.FakeBucket
    if not callable(getattr(bucket_cls, "get_permission", None)):
        raise RuntimeError("moto has no FakeBucket.get_permission")
    bucket_cls.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL


def _wire_value(value):
    """What the JSON protocol writes for a value json.dumps cannot: a date as seconds since the
    epoch (to the ms), a binary attribute value (moto keeps bytes) as base64."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # moto keeps naive UTC datetimes
            value = value.replace(tzinfo=timezone.utc)
        return round(value.timestamp(), 3)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _install_fast_stream_reads():
    """moto answers DynamoDB Streams GetRecords through its model-driven serializer, which walks
    every attribute value of every record against the service model: about 27 ms a call at ~20
    records. The records are already in the wire shape (moto builds them as the JSON protocol
    has them, but for dates and binary values); write them with json.dumps instead. Same fields and
    values."""
    from moto.dynamodbstreams import responses

    cls = responses.DynamoDBStreamsHandler
    if not callable(getattr(cls, "get_records", None)):
        raise RuntimeError("moto has no DynamoDBStreamsHandler.get_records")

    def get_records(self):
        arn = self._get_param("ShardIterator")
        limit = self._get_param("Limit")
        if limit is None:
            limit = 1000
        return json.dumps(self.backend.get_records(arn, limit), default=_wire_value)

    cls.get_records = get_records


# Hosts whose service the fast routing remembers (a host is "<service>.<region>.amazonaws.com" or a
# service name, so a few dozen in practice); beyond this the memory starts again.
MAX_ROUTED_HOSTS = 1024


def _install_fast_routing():
    """moto's DomainDispatcherApplication finds each request's service under one lock for all
    threads, listing moto's package directory and matching URL patterns every time: remember the
    directory listing and each host's service, and turn off the per-request access log."""
    from moto import backends
    from moto.moto_server import werkzeug_app

    modules = tuple(backends.list_of_moto_modules())
    if not modules:
        raise RuntimeError("moto lists no service modules")
    dispatcher = werkzeug_app.DomainDispatcherApplication
    original = dispatcher.get_backend_for_host
    if len(inspect.signature(original).parameters) != 2:
        raise RuntimeError("DomainDispatcherApplication.get_backend_for_host(self, host) has another signature")
    routed = {}

    def get_backend_for_host(self, host):
        if host is None:
            return None
        backend = routed.get(host)
        if backend is None:
            backend = original(self, host)
            # An unknown host is not remembered: moto prints its note each time, as it did.
            if backend is not None:
                if len(routed) >= MAX_ROUTED_HOSTS:
                    routed.clear()
                routed[host] = backend
        return backend

    backends.list_of_moto_modules = lambda: modules
    dispatcher.get_backend_for_host = get_backend_for_host
    # werkzeug keeps a level set before its first log line; INFO is one line per request.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


if __name__ == "__main__":
    try:
        _install_username_index()
    except Exception as exc:  # noqa: BLE001 - any mismatch means "run moto as it is"
        print(f"sandbox: moto username index not installed ({exc}); moto runs unpatched", file=sys.stderr)
    try:
        _install_fast_list_users()
    except Exception as exc:  # noqa: BLE001 - moto's own listing: same answers, O(pool) per page
        print(f"sandbox: moto fast ListUsers not installed ({exc}); ListUsers scans the pool for every page", file=sys.stderr)
    try:
        _install_confirmed_create()
    except Exception as exc:  # noqa: BLE001 - the gateway confirms with a second call instead
        print(f"sandbox: moto confirmed AdminCreateUser not installed ({exc}); the gateway confirms in a second call", file=sys.stderr)
    try:
        _install_readable_id_tokens()
    except Exception as exc:  # noqa: BLE001 - tokens then carry moto's own claims
        print(f"sandbox: moto readable ID token claims not installed ({exc}); ID tokens carry moto's claims", file=sys.stderr)
    try:
        _install_token_issuer()
    except Exception as exc:  # noqa: BLE001 - tokens then carry moto's issuer whatever the pool's IssuerConfiguration
        print(f"sandbox: moto token issuer not installed ({exc}); tokens carry moto's issuer", file=sys.stderr)
    try:
        _install_no_bucket_policy_checks()
    except Exception as exc:  # noqa: BLE001 - moto then applies bucket policies itself
        print(f"sandbox: moto bucket-policy bypass not installed ({exc}); a TLS-only bucket policy denies object calls", file=sys.stderr)
    try:
        _install_fast_routing()
    except Exception as exc:  # noqa: BLE001 - moto's own routing: same answers, one lock per request
        print(f"sandbox: moto fast routing not installed ({exc}); requests are routed under moto's lock", file=sys.stderr)
    try:
        _install_fast_stream_reads()
    except Exception as exc:  # noqa: BLE001 - moto's own serializer: same records, slower
        print(f"sandbox: moto fast stream reads not installed ({exc}); GetRecords uses moto's serializer", file=sys.stderr)
    sys.argv[0] = "moto_server"
    runpy.run_module("moto.server", run_name="__main__", alter_sys=True)
