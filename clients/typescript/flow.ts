// A newcomer's flow with the client openapi-typescript generates from openapi.yaml, compiled with
// `tsc --strict`: create an organization, invite someone, they accept, list the members, ask
// /authorize, and read a problem's typed extras. Run against a running API:
//   ORGS_API=http://127.0.0.1:9000 OWNER_TOKEN=... INVITEE_TOKEN=... INVITEE_EMAIL=... npm run flow
// Every request body below leaves out what has a default (expiresInDays, maxUses): a strict
// client must not require them.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Problem = components["schemas"]["Problem"];

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const baseUrl = env("ORGS_API");
const as = (token: string) =>
  createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const owner = as(env("OWNER_TOKEN"));
const invitee = as(env("INVITEE_TOKEN"));
const inviteeEmail = env("INVITEE_EMAIL");

function fail(step: string, status: number, problem: Problem | undefined): never {
  throw new Error(`${step}: ${status} ${problem?.code ?? ""} ${problem?.detail ?? ""} (request ${problem?.requestId ?? "?"})`);
}

const created = await owner.POST("/orgs", { body: { name: `TypeScript ${Date.now()}` } });
if (!created.data) fail("create", created.response.status, created.error);
const org = created.data;
console.log(`create: ${created.response.status} ${org.id} (${org.slug}, ${org.plan}, ${org.memberCount ?? "?"} member)`);

const invited = await owner.POST("/orgs/{orgId}/invitations", {
  params: { path: { orgId: org.id } },
  body: { email: inviteeEmail, role: "developer" },
});
if (!invited.data) fail("invite", invited.response.status, invited.error);
console.log(`invite: ${invited.response.status} ${invited.data.id} (${invited.data.status}, ${invited.data.maxUses} use, expires ${invited.data.expiresAt}, email ${invited.data.emailStatus})`);

const code = await owner.GET("/orgs/{orgId}/invitations/{invitationId}/code", {
  params: { path: { orgId: org.id, invitationId: invited.data.id } },
});
if (!code.data) fail("code", code.response.status, code.error);

const accepted = await invitee.POST("/invitations/{code}/accept", {
  params: { path: { code: code.data.code } },
});
if (!accepted.data) fail("accept", accepted.response.status, accepted.error);
console.log(`accept: ${accepted.response.status} joined ${accepted.data.orgName} as ${accepted.data.role}`);

const members = await owner.GET("/orgs/{orgId}/members", { params: { path: { orgId: org.id }, query: { limit: 10 } } });
if (!members.data) fail("members", members.response.status, members.error);
console.log(`members: ${members.response.status} ${members.data.items.map((m) => `${m.role}`).join(", ")}`);

const authorized = await invitee.POST("/orgs/{orgId}/authorize", {
  params: { path: { orgId: org.id } },
  body: { permissions: ["projects.create", "members.remove"] },
});
if (!authorized.data) fail("authorize", authorized.response.status, authorized.error);
const answers = authorized.data.results.map((r) => `${r.permission}=${r.allowed}${r.reason ? ` (${r.reason})` : ""}`);
console.log(`authorize: ${authorized.response.status} as ${authorized.data.role}: ${answers.join(", ")}`);

// A mistake answers a typed problem: its code (a string: the list grows) and its extras.
const again = await owner.POST("/orgs/{orgId}/invitations", {
  params: { path: { orgId: org.id } },
  body: { email: inviteeEmail, role: "viewer", expiresInDays: 400 },
});
if (again.data || !again.error) throw new Error("an invitation for 400 days was accepted");
const problem: Problem = again.error;
const field: string | undefined = problem.field;
console.log(`problem: ${again.response.status} ${problem.code} field=${field ?? "-"} (${problem.detail})`);
if (problem.code !== "validation_failed" || field !== "expiresInDays") {
  throw new Error(`expected validation_failed on expiresInDays, got ${problem.code} on ${field}`);
}
