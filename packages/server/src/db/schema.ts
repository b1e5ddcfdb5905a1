import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string | null, string | null>;

export interface UsersTable {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: 'user' | 'admin';
  disabled: Generated<boolean>;
  rate_limit_per_hour: number | null;
  created_at: Timestamp;
}

export interface ChatSessionsTable {
  id: string;
  user_id: string;
  title: string | null;
  message_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ChatMessagesTable {
  id: string;
  session_id: string;
  position: number;
  role: string;
  content: Json;
  name: string | null;
  tool_calls: Json;
  tool_call_id: string | null;
  reasoning_content: string | null;
  incomplete: Generated<boolean>;
  model: string | null;
  created_at: Timestamp;
}

export interface UsageRecordsTable {
  id: string;
  user_id: string;
  username: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  created_at: Timestamp;
}

/** The tables of Moji's database, for Kysely. */
export interface DB {
  users: UsersTable;
  chat_sessions: ChatSessionsTable;
  chat_messages: ChatMessagesTable;
  usage_records: UsageRecordsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SessionRow = Selectable<ChatSessionsTable>;
export type MessageRow = Selectable<ChatMessagesTable>;
export type NewMessage = Insertable<ChatMessagesTable>;
