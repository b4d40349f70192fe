"""The gift-specific steps of the import wizard through HTTP: unknown campaign and fund names
mapped or created, the money of the dry run and of the import, and refunds of gifts that an
earlier import brought in."""

import io

from sqlalchemy import func, select

from crm.dataio import batches
from crm.dataio.models import ImportBatch, UnmatchedRefund
from crm.donations.models import Campaign, Donation, DonationStatus, Fund, Refund
from tests.dataio.conftest import dump

GIFTS = (
    "Transaction ID,Email,First Name,Last Name,Amount,Date,Status,Campaign,Fund\n"
    "A1,ann@example.org,Ann,Lee,50.00,2024-03-05,Completed,Spring Gala,Safe Homes\n"
    "A2,bo@example.org,Bo,Park,20.00,2024-03-05,Refunded,Back to School,Safe Homes\n"
    "A3,cy@example.org,Cy,Diaz,30.00,2024-03-06,Declined,Back to School,\n"
    "A4,dee@example.org,Dee,Ray,10.00,2024-03-06,Completed,Street Fair,\n"
)
FORM = {"col-0": "transaction_id", "col-1": "email", "col-2": "first_name",
        "col-3": "last_name", "col-4": "amount", "col-5": "date", "col-6": "status",
        "col-7": "campaign", "col-8": "fund", "date_order": "", "system": "legacy"}  # fmt: skip


def _upload(client, content: str = GIFTS) -> str:
    upload = (io.BytesIO(content.encode()), "gifts.csv")
    response = client.form(
        "/imports/", {"kind": "gifts", "encoding": "auto", "delimiter": "auto", "file": upload}
    )
    assert response.status_code == 302
    return response.headers["Location"].removesuffix("/map")


def test_unknown_campaigns_and_funds_are_mapped_or_created_on_the_mapping_page(
    client, make_user, make_campaign, db
):
    client.login(make_user("fundraiser"))
    gala = make_campaign(name="Spring Gala")
    fair = make_campaign(name="Summer Fair")
    db.session.commit()
    url = _upload(client)
    page = client.get(url + "/map").text
    assert "Campaigns and funds not found" in page
    asked = page[page.index("Campaigns and funds not found") :].split("</fieldset>")[0]
    assert "“Back to School”" in asked and "“Street Fair”" in asked and "“Safe Homes”" in asked
    assert "“Spring Gala”" not in asked  # a known name is not asked about
    choices = {"campaign-label-0": "Back to School", "campaign-name-0": "new",
               "campaign-label-1": "Street Fair", "campaign-name-1": str(fair.id),
               "fund-label-0": "Safe Homes", "fund-name-0": "new"}  # fmt: skip
    assert client.form(url + "/map", {**FORM, **choices, "action": "check"}).status_code == 302
    page = client.get(url).text
    assert "Money the import would add" in page and "$80.00" in page  # 50 + 20 + 10
    assert "Refunded</dt>" in page and "$20.00" in page and "$60.00" in page  # net
    assert "1 failed or cancelled payment" in page
    # the dry run created nothing
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 2
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0

    client.form(url + "/run", {})
    page = client.get(url).text
    assert "Money the import added" in page and "$60.00" in page
    school = db.session.scalar(select(Campaign).where(Campaign.name == "Back to School"))
    homes = db.session.scalar(select(Fund).where(Fund.name == "Safe Homes"))
    gifts = {g.amount_cents: g for g in db.session.scalars(select(Donation))}
    assert (gifts[5000].campaign_id, gifts[5000].fund_id) == (gala.id, homes.id)
    assert (gifts[2000].campaign_id, gifts[2000].status) == (school.id, DonationStatus.REFUNDED)
    assert gifts[1000].campaign_id == fair.id and 3000 not in gifts

    client.form(url + "/undo", {})
    assert db.session.scalar(select(Campaign).where(Campaign.name == "Back to School")) is None
    assert db.session.scalars(select(Fund)).all() == []
    assert db.session.scalars(select(Donation)).all() == []


def test_a_choice_not_on_the_list_is_refused_and_nothing_is_saved(client, make_user, db):
    client.login(make_user("fundraiser"))
    url = _upload(client)
    batch_id = int(url.rsplit("/", 1)[1])
    mapping = db.session.get(ImportBatch, batch_id).mapping
    page = client.form(url + "/map", {**FORM, "col-8": "", "campaign-label-0": "Spring Gala",
                                      "campaign-name-0": "99999", "action": "check"})  # fmt: skip
    assert page.status_code == 200 and "Choose what “Spring Gala” is from the list." in page.text
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.mapping == mapping and batch.status.value == "uploaded"  # nothing kept
    assert db.session.scalars(select(Campaign)).all() == []


def test_rows_left_out_for_an_unmapped_name_say_why(client, make_user, db):
    client.login(make_user("fundraiser"))
    url = _upload(client)
    client.form(url + "/map", {**FORM, "col-8": "", "action": "check"})
    batch = db.session.get(ImportBatch, int(url.rsplit("/", 1)[1]))
    reasons = [r[1] for r in batches.rejections(batch)]
    assert any("No campaign is named “Spring Gala”" in r for r in reasons)
    assert any("did not go through (“Declined”)" in r for r in reasons)
    assert batch.dry_run_counts["failed"] == 1 and batch.dry_run_counts["invalid"] == 3


def test_only_fundraisers_and_admins_map_or_create_names(client, make_user, db):
    client.login(make_user("fundraiser"))
    url = _upload(client)
    client.login_as(make_user("coordinator"))
    create = {"campaign-label-0": "Spring Gala", "campaign-name-0": "new", "action": "import"}
    response = client.form(url + "/map", {**FORM, **create})
    assert response.status_code == 403
    assert db.session.scalars(select(Campaign)).all() == []
    client.login_as(make_user("fundraiser"))
    # without the CSRF token the post changes nothing
    response = client.post(url + "/map", data={**FORM, **create})
    assert response.status_code != 302  # not started
    assert db.session.scalars(select(Campaign)).all() == []
    assert db.session.scalars(select(Donation)).all() == []


def test_a_later_file_of_refunds_refunds_the_gifts_an_earlier_import_brought(
    db, upload, run_import
):
    charges = ("id,Customer Email,Amount,Created date (UTC),Status\n"
               "ch_1,ann@example.org,50.00,2024-03-05 10:00:00,Paid\n"
               "ch_2,bo@example.org,20.00,2024-03-05 11:00:00,Paid\n")  # fmt: skip
    first = run_import(upload(charges.encode(), kind="gifts", system="stripe"))
    assert first.counts["net_cents"] == 7000
    refunds = ("id,Charge,Amount,Created date (UTC),Type\n"
               "re_1,ch_1,-15.00,2024-03-09 10:00:00,refund\n"
               "re_2,ch_2,25.00,2024-03-09 11:00:00,refund\n"
               "re_3,ch_9,5.00,2024-03-09 12:00:00,refund\n")  # fmt: skip
    before = dump()
    batch = upload(refunds.encode(), kind="gifts", system="stripe")
    assert {batch.headers[int(i)]: f for i, f in batch.mapping.items()} == {
        "id": "transaction_id", "Charge": "original_transaction_id", "Amount": "amount",
        "Created date (UTC)": "date", "Type": "row_kind"}  # fmt: skip
    done = run_import(batch)
    counts = done.counts
    assert (counts["refunds"], counts["refunds_to_link"], counts["invalid"],
            counts["refunded_cents"]) == (1, 1, 1, 2000)  # fmt: skip
    reasons = [r[1] for r in batches.rejections(done)]
    assert any("more than what is left of gift “ch_2” ($20.00)" in r for r in reasons)
    ann = db.session.scalar(select(Donation).where(Donation.amount_cents == 5000))
    assert (ann.refunded_cents, ann.status) == (1500, DonationStatus.PARTIALLY_REFUNDED)
    assert ann.refunds[0].created_at.date().isoformat() == "2024-03-09"  # the refund's day
    # A refund of a gift that is not here is money returned all the same: kept to link.
    [kept] = db.session.scalars(select(UnmatchedRefund)).all()
    assert (kept.amount_cents, kept.original_transaction_id, kept.refund_id) == (500, "ch_9", None)
    assert run_import(upload(refunds.encode(), kind="gifts", system="stripe")).counts[
        "already_imported"] == 2  # fmt: skip
    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before  # the gift has its money and its status back
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_newer_export_brings_the_refunds_made_since(db, upload, run_import):
    header = "id,Customer Email,Amount,Amount Refunded,Created date (UTC),Status\n"
    march = (header + "ch_1,ann@example.org,50.00,0.00,2024-03-05 10:00:00,Paid\n"
             "ch_2,bo@example.org,20.00,0.00,2024-03-05 11:00:00,Paid\n")  # fmt: skip
    run_import(upload(march.encode(), kind="gifts", system="stripe"))
    april = (header + "ch_1,ann@example.org,50.00,15.00,2024-03-05 10:00:00,Paid\n"
             "ch_2,bo@example.org,20.00,20.00,2024-03-05 11:00:00,Refunded\n"
             "ch_3,cy@example.org,10.00,0.00,2024-04-02 11:00:00,Paid\n")  # fmt: skip
    before = dump()
    checked = run_import(upload(april.encode(), kind="gifts", system="stripe"), dry_run=True)
    counts = checked.dry_run_counts
    assert (counts["new"], counts["already_imported"], counts["refunds"]) == (1, 2, 2)
    assert (counts["gross_cents"], counts["refunded_cents"], counts["net_cents"]) == (
        1000, 3500, -2500)  # fmt: skip
    assert dump() == before
    done = run_import(checked)
    refunded = dict(
        db.session.execute(select(Donation.amount_cents, Donation.refunded_cents)).all()
    )
    assert refunded == {5000: 1500, 2000: 2000, 1000: 0}  # as the newer export says
    assert run_import(upload(april.encode(), kind="gifts", system="stripe")).counts["refunds"] == 0
    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before


def test_names_past_the_rows_the_mapping_page_reads_are_listed_after_the_dry_run(
    client, make_user, db, monkeypatch
):
    from crm.dataio import gift_names

    monkeypatch.setattr(gift_names, "SCAN_ROWS", 2)
    client.login(make_user("fundraiser"))
    url = _upload(client)
    page = client.get(url + "/map").text
    asked = "“Street Fair”</label>"  # a choice for it on the page
    assert "“Back to School”</label>" in page and asked not in page  # line 5 is not read
    client.form(url + "/map", {**FORM, "action": "check"})
    page = client.get(url + "/map").text
    assert asked in page  # the dry run read the whole file
    labels = {"campaign-label-0": "Spring Gala", "campaign-label-1": "Back to School",
              "campaign-label-2": "Street Fair", "campaign-name-2": "new"}  # fmt: skip
    client.form(url + "/map", {**FORM, **labels, "action": "preview"})
    page = client.get(url + "/map").text
    assert asked in page and 'value="new" selected' in page  # still there, chosen
