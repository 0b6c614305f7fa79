import { serve } from "@hono/node-server";
import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { db } from "./db/index.js";
import { notes } from "./db/schema.js";

const app = new Hono();

app.get("/users/:userId/notes", async (c) => {
  const userId = Number(c.req.param("userId"));
  const rows = await db
    .select()
    .from(notes)
    .where(and(eq(notes.userId, userId), isNull(notes.archivedAt)))
    .orderBy(desc(notes.pinned), desc(notes.updatedAt))
    .limit(50);
  return c.json(rows);
});

app.post("/users/:userId/notes", async (c) => {
  const body = await c.req.json<{ title: string; body?: string; notebookId?: number }>();
  const [note] = await db
    .insert(notes)
    .values({ userId: Number(c.req.param("userId")), title: body.title, body: body.body ?? "", notebookId: body.notebookId })
    .returning();
  return c.json(note, 201);
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
