import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    JoinColumn,
    ManyToOne,
    PrimaryGeneratedColumn,
} from "typeorm";
import { Company } from "./Company";

@Entity("contacts")
export class Contact {
    @PrimaryGeneratedColumn()
    id: number;

    @ManyToOne(() => Company, (company) => company.contacts, { nullable: true, onDelete: "SET NULL" })
    @JoinColumn({ name: "company_id" })
    company: Company | null;

    @Column({ name: "first_name", type: "varchar", length: 80 })
    firstName: string;

    @Column({ name: "last_name", type: "varchar", length: 80 })
    lastName: string;

    @Index("IDX_contacts_email")
    @Column({ type: "varchar", length: 255, nullable: true })
    email: string | null;

    @Column({ type: "varchar", length: 40, nullable: true })
    phone: string | null;

    @CreateDateColumn({ name: "created_at" })
    createdAt: Date;
}
