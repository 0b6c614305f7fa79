import express from "express";
import { AppDataSource } from "./data-source";
import { Deal, DealStage } from "./entity/Deal";

async function main(): Promise<void> {
    await AppDataSource.initialize();
    const app = express();
    app.use(express.json());

    app.get("/pipeline", async (_req, res) => {
        const rows = await AppDataSource.getRepository(Deal)
            .createQueryBuilder("deal")
            .select("deal.stage", "stage")
            .addSelect("SUM(deal.amount_cents)", "amount_cents")
            .where("deal.stage NOT IN (:...closed)", { closed: [DealStage.Won, DealStage.Lost] })
            .groupBy("deal.stage")
            .getRawMany();
        res.json(rows);
    });

    app.listen(Number(process.env.PORT) || 3000);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
