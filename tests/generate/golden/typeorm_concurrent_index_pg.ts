import { MigrationInterface, QueryRunner } from "typeorm";

export class AddNoteToDealsAndAddIndexOnDealsTitle1767323045000 implements MigrationInterface {
    name = 'AddNoteToDealsAndAddIndexOnDealsTitle1767323045000'
    // `CREATE INDEX CONCURRENTLY IF ...` cannot run inside a transaction, so this class
    // runs outside TypeORM's transaction and opens its own around the rest. Run it with
    // `typeorm migration:run -t each` and revert it with `typeorm migration:revert -t
    // none`.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.startTransaction();
        try {
            await queryRunner.query(`ALTER TABLE deals ADD COLUMN note text`);
            await queryRunner.commitTransaction();
        } catch (error) {
            await queryRunner.rollbackTransaction();
            throw error;
        }
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_deals_title ON deals (title)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ix_deals_title`);
        await queryRunner.startTransaction();
        try {
            await queryRunner.query(`ALTER TABLE deals DROP COLUMN note`);
            await queryRunner.commitTransaction();
        } catch (error) {
            await queryRunner.rollbackTransaction();
            throw error;
        }
    }

}
