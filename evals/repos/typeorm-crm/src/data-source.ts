import "reflect-metadata";
import { DataSource } from "typeorm";
import { Activity } from "./entity/Activity";
import { Company } from "./entity/Company";
import { Contact } from "./entity/Contact";
import { Deal } from "./entity/Deal";
import { User } from "./entity/User";

// Used by the app and by the TypeORM CLI (`npm run migration:run`).
export const AppDataSource = new DataSource({
    type: "postgres",
    url: process.env.DATABASE_URL,
    synchronize: false,
    logging: process.env.NODE_ENV !== "production" ? ["error", "warn", "migration"] : ["error"],
    entities: [User, Company, Contact, Deal, Activity],
    migrations: [__dirname + "/migrations/*.{ts,js}"],
    migrationsTableName: "typeorm_migrations",
});
