import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    JoinColumn,
    ManyToOne,
    PrimaryGeneratedColumn,
} from "typeorm";
import { Contact } from "./Contact";
import { Deal } from "./Deal";

/** A call, meeting, e-mail or task, about a deal and/or a contact. */
@Entity("activities")
export class Activity {
    @PrimaryGeneratedColumn()
    id: number;

    @ManyToOne(() => Deal, { nullable: true, onDelete: "CASCADE" })
    @JoinColumn({ name: "deal_id" })
    deal: Deal | null;

    @ManyToOne(() => Contact, { nullable: true, onDelete: "SET NULL" })
    @JoinColumn({ name: "contact_id" })
    contact: Contact | null;

    @Column({ type: "varchar", length: 20 })
    kind: string;

    @Column({ type: "text", nullable: true })
    notes: string | null;

    @Index("IDX_activities_due_at")
    @Column({ name: "due_at", type: "timestamp", nullable: true })
    dueAt: Date | null;

    @Column({ name: "completed_at", type: "timestamp", nullable: true })
    completedAt: Date | null;

    @CreateDateColumn({ name: "created_at" })
    createdAt: Date;
}
