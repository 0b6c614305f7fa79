import { MigrationInterface, QueryRunner } from "typeorm";

export class AddCheckCkDealsAmountCents1767323045000 implements MigrationInterface {
    name = 'AddCheckCkDealsAmountCents1767323045000'
    // `PRAGMA foreign_keys=OFF ...` cannot run inside a transaction, so this class runs
    // outside TypeORM's transaction and opens its own around the rest. Run it with `typeorm
    // migration:run -t each` and revert it with `typeorm migration:revert -t none`.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        // rebuild of deals (add check constraint); SQLite ignores this pragma inside a
        // transaction
        await queryRunner.query(`PRAGMA foreign_keys=OFF`);
        await queryRunner.startTransaction();
        try {
            await queryRunner.query(`
                CREATE TABLE _migwright_new_deals (
                    id INTEGER NOT NULL,
                    title VARCHAR(200) NOT NULL,
                    amount_cents INTEGER NOT NULL DEFAULT 0,
                    company_id INTEGER,
                    PRIMARY KEY (id),
                    CONSTRAINT fk_deals_company_id FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE,
                    CONSTRAINT ck_deals_amount_cents CHECK (amount_cents >= 0)
                )
            `);
            await queryRunner.query(`INSERT INTO _migwright_new_deals (id, title, amount_cents, company_id) SELECT id, title, amount_cents, company_id FROM deals`);
            await queryRunner.query(`DROP TABLE deals`);
            await queryRunner.query(`ALTER TABLE _migwright_new_deals RENAME TO deals`);
            // PRAGMA foreign_key_check, failing on any row: a broken reference rolls back
            await queryRunner.query(`CREATE TEMP TABLE _migwright_fk_check_deals (broken INTEGER CONSTRAINT "the rebuild of deals leaves rows whose foreign keys point nowhere: see PRAGMA foreign_key_check" CHECK (broken = 0))`);
            await queryRunner.query(`INSERT INTO _migwright_fk_check_deals SELECT count(*) FROM pragma_foreign_key_check`);
            await queryRunner.query(`DROP TABLE temp._migwright_fk_check_deals`);
            await queryRunner.commitTransaction();
        } catch (error) {
            await queryRunner.rollbackTransaction();
            throw error;
        }
        await queryRunner.query(`PRAGMA foreign_keys=ON`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // rebuild of deals (drop constraint); SQLite ignores this pragma inside a transaction
        await queryRunner.query(`PRAGMA foreign_keys=OFF`);
        await queryRunner.startTransaction();
        try {
            await queryRunner.query(`
                CREATE TABLE _migwright_new_deals (
                    id INTEGER NOT NULL,
                    title VARCHAR(200) NOT NULL,
                    amount_cents INTEGER NOT NULL DEFAULT 0,
                    company_id INTEGER,
                    PRIMARY KEY (id),
                    CONSTRAINT fk_deals_company_id FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE
                )
            `);
            await queryRunner.query(`INSERT INTO _migwright_new_deals (id, title, amount_cents, company_id) SELECT id, title, amount_cents, company_id FROM deals`);
            await queryRunner.query(`DROP TABLE deals`);
            await queryRunner.query(`ALTER TABLE _migwright_new_deals RENAME TO deals`);
            // PRAGMA foreign_key_check, failing on any row: a broken reference rolls back
            await queryRunner.query(`CREATE TEMP TABLE _migwright_fk_check_deals (broken INTEGER CONSTRAINT "the rebuild of deals leaves rows whose foreign keys point nowhere: see PRAGMA foreign_key_check" CHECK (broken = 0))`);
            await queryRunner.query(`INSERT INTO _migwright_fk_check_deals SELECT count(*) FROM pragma_foreign_key_check`);
            await queryRunner.query(`DROP TABLE temp._migwright_fk_check_deals`);
            await queryRunner.commitTransaction();
        } catch (error) {
            await queryRunner.rollbackTransaction();
            throw error;
        }
        await queryRunner.query(`PRAGMA foreign_keys=ON`);
    }

}
