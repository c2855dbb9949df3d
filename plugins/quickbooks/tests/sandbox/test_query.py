"""Point 3: the query language."""
import time


def code(r):
    return r.json()["Fault"]["Error"][0]["code"]


def test_where_operators(qbo):
    assert [c["DisplayName"] for c in qbo.rows("select * from customer where displayname = 'ACME LTD'")] == ["Acme Ltd"]
    assert len(qbo.rows("SELECT * FROM Customer WHERE Id IN ('1', '2')")) == 2
    assert [c["DisplayName"] for c in qbo.rows("SELECT * FROM Customer WHERE DisplayName LIKE 'Glob%'")] == ["Globex Corporation"]
    assert qbo.rows(r"SELECT * FROM Customer WHERE DisplayName = 'Adam\'s Candy Shop'")[0]["Id"] == "3"
    assert [i["Name"] for i in qbo.rows("SELECT * FROM Item WHERE UnitPrice >= 150 ORDERBY UnitPrice DESC")] == ["Hardware", "Consulting"]
    assert [i["Name"] for i in qbo.rows("SELECT * FROM Item WHERE UnitPrice < 100 AND Type = 'Service'")] == ["Travel"]
    assert len(qbo.rows("SELECT * FROM Item WHERE Type = 'Category'")) == 1


def test_inactive_hidden_unless_asked(qbo):
    active = qbo.rows("SELECT * FROM Customer")
    everyone = qbo.rows("SELECT * FROM Customer WHERE Active IN (true, false)")
    assert len(everyone) == len(active) + 1
    assert [c["Active"] for c in qbo.rows("SELECT * FROM Customer WHERE Active = false")] == [False]


def test_paging_ordering_and_count(qbo):
    for n in range(5):
        qbo.create("Customer", {"DisplayName": f"Paging {n}"})
    r = qbo.query("SELECT * FROM Customer WHERE DisplayName LIKE 'Paging%' ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 2")
    qr = r.json()["QueryResponse"]
    assert [c["DisplayName"] for c in qr["Customer"]] == ["Paging 3", "Paging 2"]
    assert qr["startPosition"] == 2 and qr["maxResults"] == 2
    count = qbo.query("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE 'Paging%'").json()
    assert count["QueryResponse"] == {"totalCount": 5} and "time" in count
    assert qbo.query("SELECT * FROM Customer WHERE DisplayName = 'nobody'").json()["QueryResponse"] == {}
    r = qbo.get("query", query="select * from Customer maxresults 1000")
    assert r.status_code == 200


def test_last_updated_time_filter(qbo):
    before = qbo.rows("SELECT * FROM Customer")[0]["MetaData"]["LastUpdatedTime"]
    qbo.control("POST", "clock/advance", json={"seconds": 120})
    new = qbo.create("Customer", {"DisplayName": "Recent One"})
    stamp = new["MetaData"]["LastUpdatedTime"]
    assert stamp > before
    rows = qbo.rows(f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '{before}'")
    assert [c["DisplayName"] for c in rows] == ["Recent One"]
    assert qbo.rows(f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime <= '{before}'")


def test_query_errors(qbo):
    assert code(qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Adam's'")) == "4000"
    assert code(qbo.query("SELEC * FROM Customer")) == "4000"
    assert code(qbo.query("")) == "4000"
    r = qbo.query("SELECT * FROM Customer MAXRESULTS 0")
    assert code(r) == "4001" and "Min allowed value is 1" in r.json()["Fault"]["Error"][0]["Detail"]
    assert code(qbo.query("SELECT * FROM Customer MAXRESULTS 1001")) == "4001"
    assert code(qbo.query("SELECT * FROM Customer WHERE Colour = 'red'")) == "4001"
    assert code(qbo.query("SELECT * FROM Customer WHERE Id > '1'")) == "4001"
    assert code(qbo.query("SELECT * FROM Spaceship")) == "4001"


def test_preferences_and_companyinfo_queryable(qbo):
    assert qbo.rows("SELECT * FROM Preferences")[0]["TaxPrefs"]["UsingSalesTax"] is True
    assert qbo.rows("SELECT * FROM CompanyInfo")[0]["Country"] == "US"
    time.sleep(0)

