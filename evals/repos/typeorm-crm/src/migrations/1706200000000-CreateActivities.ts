import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateActivities1706200000000 implements MigrationInterface {
    name = 'CreateActivities1706200000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "activities" ("id" SERIAL NOT NULL, "kind" character varying(20) NOT NULL, "notes" text, "due_at" TIMESTAMP, "completed_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "deal_id" integer, "contact_id" integer, CONSTRAINT "PK_7f4004429f731ffb9c88eb486a8" PRIMARY KEY ("id"))`);
        await queryRunner.query(`ALTER TABLE "activities" ADD CONSTRAINT "FK_04fa1883f5dc10f9a9661074ae0" FOREIGN KEY ("deal_id") REFERENCES "deals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "activities" ADD CONSTRAINT "FK_11fdf4277eb8458723eec35e107" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "activities" DROP CONSTRAINT "FK_11fdf4277eb8458723eec35e107"`);
        await queryRunner.query(`ALTER TABLE "activities" DROP CONSTRAINT "FK_04fa1883f5dc10f9a9661074ae0"`);
        await queryRunner.query(`DROP TABLE "activities"`);
    }

}
