// An in-memory user pool answering the Cognito calls the core makes, with Cognito's error names,
// for fast tests of code that reads and repairs whole pools (reconcile). Not an emulator: the
// sandbox is that; this answers exactly the operations listed in `send` and throws on the rest.
// With `emailAsUsername` it behaves like the project's pools (email is the sign-in alias): a
// created user's username is generated, calls find a user by username or email, and an email
// another user has is refused (UsernameExistsException at create, AliasExistsException at update).
import type { AttributeType, UserType } from "@aws-sdk/client-cognito-identity-provider";

export interface FakeUser {
  username: string;
  attributes: Record<string, string>;
  enabled?: boolean;
  status?: string;
  groups?: string[];
  /** UserLastModifiedDate in epoch ms (0: not given). */
  modifiedAt?: number;
}

const cognitoError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });

export class FakePool {
  readonly users = new Map<string, Required<FakeUser>>();
  readonly groups = new Set<string>();
  /** Every operation served, e.g. `AdminCreateUser:alice@example.com`. */
  readonly calls: string[] = [];
  /** Most calls in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** `operation` or `operation:username` -> the error to throw instead of answering. */
  readonly failures = new Map<string, Error>();

  private created = 0;

  constructor(
    readonly poolId: string,
    users: FakeUser[] = [],
    readonly pageSize = 2,
    readonly options: { emailAsUsername?: boolean } = {},
  ) {
    for (const u of users) this.put(u);
  }

  /** The user whose username, or (emailAsUsername) email, is `name`. */
  find(name: string | undefined): Required<FakeUser> | undefined {
    if (!name) return undefined;
    const direct = this.users.get(name);
    if (direct || !this.options.emailAsUsername) return direct;
    return [...this.users.values()].find((u) => u.attributes.email === name);
  }

  put(u: FakeUser): void {
    this.users.set(u.username, { enabled: true, status: "CONFIRMED", groups: [], modifiedAt: 0, ...u, attributes: { ...u.attributes } });
    for (const g of u.groups ?? []) this.groups.add(g);
  }

  fail(operation: string, error: { name: string; message?: string }, username?: string): void {
    this.failures.set(username ? `${operation}:${username}` : operation, cognitoError(error.name, error.message ?? error.name));
  }

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const op = command.constructor.name.replace(/Command$/, "");
    const input = command.input;
    const username = input.Username as string | undefined;
    this.calls.push(username ? `${op}:${username}` : op);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setImmediate(r));
      const failure = this.failures.get(`${op}:${username}`) ?? this.failures.get(op);
      if (failure) throw failure;
      return this.answer(op, input, username);
    } finally {
      this.inFlight--;
    }
  }

  private user(username: string | undefined): Required<FakeUser> {
    const u = this.find(username);
    if (!u) throw cognitoError("UserNotFoundException", "User does not exist.");
    return u;
  }

  private page<T>(items: T[], token: unknown, limit: unknown): { items: T[]; next?: string } {
    const start = Number(token ?? 0);
    const size = Math.min(Number(limit ?? this.pageSize), this.pageSize);
    const end = start + size;
    return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
  }

  /** ListUsers' filter, as far as the core uses it: `attribute = "value"` and `attribute ^= "prefix"`. */
  private filtered(filter: unknown): Required<FakeUser>[] {
    const users = [...this.users.values()];
    if (filter === undefined || filter === "") return users;
    const m = /^([\w:]+)\s*(=|\^=)\s*"(.*)"$/.exec(String(filter));
    if (!m) throw cognitoError("InvalidParameterException", "Invalid filter expression.");
    const [, name, op, value] = m;
    const get = (u: Required<FakeUser>) => (name === "username" ? u.username : name === "status" ? u.status : u.attributes[name]);
    return users.filter((u) => (op === "=" ? get(u) === value : (get(u) ?? "").startsWith(value)));
  }

  private asUserType(u: Required<FakeUser>): UserType {
    return {
      Username: u.username,
      Enabled: u.enabled,
      UserStatus: u.status as UserType["UserStatus"],
      Attributes: Object.entries(u.attributes).map(([Name, Value]) => ({ Name, Value })),
      ...(u.modifiedAt ? { UserLastModifiedDate: new Date(u.modifiedAt) } : {}),
    };
  }

  private answer(op: string, input: Record<string, unknown>, username: string | undefined): unknown {
    switch (op) {
      case "ListUsers": {
        const p = this.page(this.filtered(input.Filter), input.PaginationToken, input.Limit);
        return { Users: p.items.map((u) => this.asUserType(u)), PaginationToken: p.next };
      }
      case "ListGroups": {
        // In creation order: callers must not rely on ListGroups being sorted.
        const p = this.page([...this.groups], input.NextToken, input.Limit);
        return { Groups: p.items.map((GroupName) => ({ GroupName })), NextToken: p.next };
      }
      case "ListUsersInGroup": {
        const members = [...this.users.values()].filter((u) => u.groups.includes(String(input.GroupName)));
        const p = this.page(members, input.NextToken, input.Limit);
        return { Users: p.items.map((u) => this.asUserType(u)), NextToken: p.next };
      }
      case "AdminCreateUser": {
        if (this.find(username)) throw cognitoError("UsernameExistsException", "User account already exists.");
        const attributes = Object.fromEntries(((input.UserAttributes ?? []) as AttributeType[]).map((a) => [a.Name!, a.Value!]));
        const name = this.options.emailAsUsername ? `00000000-0000-4000-8000-${String(++this.created).padStart(12, "0")}` : username!;
        this.put({ username: name, attributes: { sub: this.options.emailAsUsername ? name : `dr-${username}`, ...attributes } });
        return { User: this.asUserType(this.user(name)) };
      }
      case "AdminGetUser": {
        const u = this.user(username);
        return { Username: u.username, Enabled: u.enabled, UserStatus: u.status, UserAttributes: this.asUserType(u).Attributes };
      }
      case "AdminListGroupsForUser":
        return { Groups: this.user(username).groups.map((GroupName) => ({ GroupName })) };
      case "AdminUpdateUserAttributes": {
        const u = this.user(username);
        for (const a of input.UserAttributes as AttributeType[]) {
          const holder = a.Name === "email" && this.options.emailAsUsername ? this.find(a.Value) : undefined;
          if (holder && holder !== u) throw cognitoError("AliasExistsException", "An account with the given email already exists.");
        }
        for (const a of input.UserAttributes as AttributeType[]) u.attributes[a.Name!] = a.Value!;
        return {};
      }
      case "AdminDeleteUserAttributes":
        for (const n of input.UserAttributeNames as string[]) delete this.user(username).attributes[n];
        return {};
      case "AdminEnableUser":
      case "AdminDisableUser":
        this.user(username).enabled = op === "AdminEnableUser";
        return {};
      case "AdminAddUserToGroup": {
        if (!this.groups.has(String(input.GroupName))) throw cognitoError("ResourceNotFoundException", "Group not found.");
        const u = this.user(username);
        if (!u.groups.includes(String(input.GroupName))) u.groups.push(String(input.GroupName));
        return {};
      }
      case "AdminRemoveUserFromGroup": {
        const u = this.user(username);
        u.groups = u.groups.filter((g) => g !== input.GroupName);
        return {};
      }
      case "AdminDeleteUser":
        this.users.delete(this.user(username).username);
        return {};
      default:
        throw new Error(`FakePool does not answer ${op}`);
    }
  }
}
