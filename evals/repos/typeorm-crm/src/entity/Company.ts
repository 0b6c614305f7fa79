import {
    Column,
    CreateDateColumn,
    Entity,
    JoinColumn,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
} from "typeorm";
import { Contact } from "./Contact";
import { Deal } from "./Deal";
import { User } from "./User";

@Entity("companies")
export class Company {
    @PrimaryGeneratedColumn()
    id: number;

    @Column({ type: "varchar", length: 200 })
    name: string;

    @Column({ type: "varchar", length: 255, nullable: true, unique: true })
    domain: string | null;

    @ManyToOne(() => User, { nullable: true, onDelete: "SET NULL" })
    @JoinColumn({ name: "owner_id" })
    owner: User | null;

    @OneToMany(() => Contact, (contact) => contact.company)
    contacts: Contact[];

    @OneToMany(() => Deal, (deal) => deal.company)
    deals: Deal[];

    @CreateDateColumn({ name: "created_at" })
    createdAt: Date;
}
