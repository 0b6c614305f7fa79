import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateNotes1767323045000 implements MigrationInterface {
    name = 'CreateNotes1767323045000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE notes (
                id INT NOT NULL AUTO_INCREMENT,
                deal_id INT NOT NULL,
                \`body\` LONGTEXT NOT NULL,
                \`key\` VARCHAR(20),
                PRIMARY KEY (id),
                CONSTRAINT uq_notes_key UNIQUE (\`key\`),
                CONSTRAINT fk_notes_deal_id FOREIGN KEY (deal_id) REFERENCES deals (id) ON DELETE CASCADE,
                CONSTRAINT ck_notes_body CHECK (CHAR_LENGTH(\`body\`) > 0)
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE notes`);
    }

}
