class CreateAddresses < ActiveRecord::Migration[7.1]
  def change
    create_table :addresses do |t|
      t.references :customer, null: false, foreign_key: true
      t.string :line1, null: false
      t.string :line2
      t.string :city, null: false
      t.string :postcode, null: false
      t.string :country, limit: 2, null: false
      t.boolean :default_shipping, null: false, default: false
      t.timestamps
    end
  end
end
