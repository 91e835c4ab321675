// A persistent storage adapter for oidc-provider on node:sqlite, so that the reference OP, like
// ours, writes every code, token, session and grant to SQLite instead of keeping it in process
// memory (oidc-provider's built-in MemoryAdapter is for development only). One table; the
// synchronous API blocks the event loop for each statement, as SQLite does inside a Durable Object.
import { DatabaseSync } from "node:sqlite";

let db;
let statements;

export function openDatabase(file) {
  db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec(`CREATE TABLE IF NOT EXISTS oidc (
    model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, user_code TEXT, uid TEXT,
    expires_at INTEGER, PRIMARY KEY (model, id))`);
  db.exec(
    "CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id); CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (uid); CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (user_code)",
  );
  statements = {
    upsert: db.prepare("INSERT OR REPLACE INTO oidc (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
    find: db.prepare("SELECT payload, expires_at FROM oidc WHERE model = ? AND id = ?"),
    findBy: (column) => db.prepare(`SELECT payload, expires_at FROM oidc WHERE model = ? AND ${column} = ?`),
    destroy: db.prepare("DELETE FROM oidc WHERE model = ? AND id = ?"),
    revokeByGrantId: db.prepare("DELETE FROM oidc WHERE grant_id = ?"),
  };
  statements.byUid = statements.findBy("uid");
  statements.byUserCode = statements.findBy("user_code");
}

const live = (row) => (row && (!row.expires_at || row.expires_at > Date.now()) ? JSON.parse(row.payload) : undefined);

/** oidc-provider's adapter interface: one instance per model (AccessToken, Session, Grant, …). */
export class SqliteAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
    statements.upsert.run(this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt);
  }

  async find(id) {
    return live(statements.find.get(this.model, id));
  }

  async findByUid(uid) {
    return live(statements.byUid.get(this.model, uid));
  }

  async findByUserCode(userCode) {
    return live(statements.byUserCode.get(this.model, userCode));
  }

  async consume(id) {
    const payload = await this.find(id);
    if (!payload) return;
    const row = statements.find.get(this.model, id);
    statements.upsert.run(
      this.model,
      id,
      JSON.stringify({ ...payload, consumed: Math.floor(Date.now() / 1000) }),
      payload.grantId ?? null,
      payload.userCode ?? null,
      payload.uid ?? null,
      row.expires_at,
    );
  }

  async destroy(id) {
    statements.destroy.run(this.model, id);
  }

  async revokeByGrantId(grantId) {
    statements.revokeByGrantId.run(grantId);
  }
}
