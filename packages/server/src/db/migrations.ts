import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const migrations: Record<string, Migration> = {
  '2026-12-01-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .ifNotExists()
        .addColumn('id', 'uuid', (col) => col.primaryKey())
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('email', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull().defaultTo('user'))
        .addColumn('disabled', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('rate_limit_per_hour', 'integer')
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`
        create unique index if not exists users_username_key on users (lower(username))
      `.execute(db);
      await sql`
        create unique index if not exists users_email_key on users (lower(email))
      `.execute(db);

      await db.schema
        .createTable('chat_sessions')
        .ifNotExists()
        .addColumn('id', 'uuid', (col) => col.primaryKey())
        .addColumn('user_id', 'uuid', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('title', 'text')
        .addColumn('message_count', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`
        create index if not exists chat_sessions_user_recent
        on chat_sessions (user_id, updated_at desc, id desc)
      `.execute(db);

      await db.schema
        .createTable('chat_messages')
        .ifNotExists()
        .addColumn('id', 'uuid', (col) => col.primaryKey())
        .addColumn('session_id', 'uuid', (col) =>
          col.notNull().references('chat_sessions.id').onDelete('cascade'),
        )
        .addColumn('position', 'integer', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('content', 'jsonb')
        .addColumn('name', 'text')
        .addColumn('tool_calls', 'jsonb')
        .addColumn('tool_call_id', 'text')
        .addColumn('reasoning_content', 'text')
        .addColumn('incomplete', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('model', 'text')
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('chat_messages_session_position_key', ['session_id', 'position'])
        .execute();

      await db.schema
        .createTable('usage_records')
        .ifNotExists()
        .addColumn('id', 'uuid', (col) => col.primaryKey())
        .addColumn('user_id', 'uuid', (col) => col.notNull())
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('prompt_tokens', 'integer', (col) => col.notNull())
        .addColumn('completion_tokens', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`
        create index if not exists usage_records_created on usage_records (created_at)
      `.execute(db);
    },
  },
};

/** The schema's migrations, in order, for Kysely's migrator. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
