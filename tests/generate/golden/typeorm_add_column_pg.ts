import { MigrationInterface, QueryRunner } from "typeorm";

export class AddShippedAtToDeals1767323045000 implements MigrationInterface {
    name = 'AddShippedAtToDeals1767323045000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE deals ADD COLUMN shipped_at timestamptz`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE deals DROP COLUMN shipped_at`);
    }

}
