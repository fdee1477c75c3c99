# Both locations of the account are written; their ids are computed.
provider "azurerm" {
  features {}
}

resource "azurerm_cosmosdb_account" "records" {
  name                = "records"
  location            = "francecentral"
  offer_type          = "Standard"
  resource_group_name = "rg"

  geo_location {
    location          = "francecentral"
    failover_priority = 0
  }

  geo_location {
    location          = "francesouth"
    failover_priority = 1
  }
}
