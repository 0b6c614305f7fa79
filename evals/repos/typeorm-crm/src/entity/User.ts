import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

/** A sales rep who owns companies and logs activities. */
@Entity("users")
export class User {
    @PrimaryGeneratedColumn()
    id: number;

    @Column({ type: "varchar", length: 255, unique: true })
    email: string;

    @Column({ name: "full_name", type: "varchar", length: 120 })
    fullName: string;

    @CreateDateColumn({ name: "created_at" })
    createdAt: Date;
}
