// Applies the migrations listed in drizzle/meta/_journal.json (used in deploys).
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { db, pool } from "./index.js";

await migrate(db, { migrationsFolder: "./drizzle" });
await pool.end();
