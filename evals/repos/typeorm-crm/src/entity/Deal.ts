import {
    Column,
    CreateDateColumn,
    Entity,
    JoinColumn,
    ManyToOne,
    PrimaryGeneratedColumn,
} from "typeorm";
import { Company } from "./Company";

export enum DealStage {
    Lead = "lead",
    Qualified = "qualified",
    Proposal = "proposal",
    Won = "won",
    Lost = "lost",
}

@Entity("deals")
export class Deal {
    @PrimaryGeneratedColumn()
    id: number;

    @ManyToOne(() => Company, (company) => company.deals, { onDelete: "CASCADE" })
    @JoinColumn({ name: "company_id" })
    company: Company;

    @Column({ type: "varchar", length: 200 })
    title: string;

    @Column({ type: "enum", enum: DealStage, default: DealStage.Lead })
    stage: DealStage;

    @Column({ name: "amount_cents", type: "integer", default: 0 })
    amountCents: number;

    @Column({ name: "close_date", type: "date", nullable: true })
    closeDate: string | null;

    @CreateDateColumn({ name: "created_at" })
    createdAt: Date;
}
