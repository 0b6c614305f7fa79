import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateDeals1705600000000 implements MigrationInterface {
    name = 'CreateDeals1705600000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."deals_stage_enum" AS ENUM('lead', 'qualified', 'proposal', 'won', 'lost')`);
        await queryRunner.query(`CREATE TABLE "deals" ("id" SERIAL NOT NULL, "title" character varying(200) NOT NULL, "stage" "public"."deals_stage_enum" NOT NULL DEFAULT 'lead', "amount_cents" integer NOT NULL DEFAULT '0', "close_date" date, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "company_id" integer, CONSTRAINT "PK_8c66f03b250f613ff8615940b4b" PRIMARY KEY ("id"))`);
        await queryRunner.query(`ALTER TABLE "deals" ADD CONSTRAINT "FK_eb4869da6d8f7121b269140994d" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "deals" DROP CONSTRAINT "FK_eb4869da6d8f7121b269140994d"`);
        await queryRunner.query(`DROP TABLE "deals"`);
        await queryRunner.query(`DROP TYPE "public"."deals_stage_enum"`);
    }

}
