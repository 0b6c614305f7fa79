import { MigrationInterface, QueryRunner } from "typeorm";

export class AddArchivedToStage1767323045000 implements MigrationInterface {
    name = 'AddArchivedToStage1767323045000'
    // `ALTER TYPE stage ADD ...` cannot run inside a transaction, so this class runs
    // outside TypeORM's transaction and opens its own around the rest. Run it with `typeorm
    // migration:run -t each` and revert it with `typeorm migration:revert -t none`.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        // the new value cannot be used in the transaction that adds it
        await queryRunner.query(`ALTER TYPE stage ADD VALUE 'archived'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // Irreversible. add value 'archived' to enum stage: PostgreSQL cannot remove the value
        // 'archived' from stage; recreating the type is a separate, locking migration.
        throw new Error('AddArchivedToStage1767323045000 cannot be reverted (see the comment above)');
    }

}
