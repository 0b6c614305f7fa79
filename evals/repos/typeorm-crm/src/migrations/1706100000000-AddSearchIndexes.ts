import { MigrationInterface, QueryRunner } from "typeorm";

// Re-stamped after review: the due_at index needs the activities table, so this class
// runs after CreateActivities1706200000000 even though the file was created first.
export class AddSearchIndexes1706400000000 implements MigrationInterface {
    name = 'AddSearchIndexes1706400000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "IDX_contacts_email" ON "contacts" ("email") `);
        await queryRunner.query(`CREATE INDEX "IDX_activities_due_at" ON "activities" ("due_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_activities_due_at"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_contacts_email"`);
    }

}
