-- Every user gets an "Inbox" notebook; loose notes move into it.
INSERT INTO "notebooks" ("user_id", "name")
SELECT "u"."id", 'Inbox' FROM "users" "u"
WHERE NOT EXISTS (SELECT 1 FROM "notebooks" "n" WHERE "n"."user_id" = "u"."id" AND "n"."name" = 'Inbox');
--> statement-breakpoint
UPDATE "notes" SET "notebook_id" = "n"."id"
FROM "notebooks" "n"
WHERE "notes"."notebook_id" IS NULL AND "n"."user_id" = "notes"."user_id" AND "n"."name" = 'Inbox';
