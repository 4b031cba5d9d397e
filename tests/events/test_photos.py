"""Photos of events: uploaded with a report and with handle/verify actions (JSON API multipart and the
workbench forms), checked before anything is stored, served only through scoped routes as upright
copies without metadata, required by categories at chosen steps, and flagged on the verify page when
taken far away or before dispatch."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from citycockpit.events import categories as cats
from citycockpit.events import photos
from citycockpit.events.enums import Action
from citycockpit.events.models import EventPhoto
from tests.builders import make_persona
from tests.events.conftest import GRID_A, TESTER, act, report
from tests.events.photo_files import (
    ARTIST,
    GPS_IFD,
    MAKE,
    camera_jpeg,
    decompression_bomb,
    heic,
    png,
    text_named_jpg,
    webp,
)

LOCAL_MORNING = datetime(2024, 9, 30, 9, 30)  # local camera time, 30 minutes before the test clock


def photo_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "photos"


def stored_files(settings: Any) -> list[Path]:
    return photos.PhotoStore(photo_dir(settings)).files()


def photo_rows(db: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(EventPhoto)))


def post_event(client: Any, persona: Any, files: list[tuple[str, bytes]], **fields: Any) -> Any:
    data = {
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "category_code": "E0102",
        "lat": GRID_A[0],
        "lon": GRID_A[1],
        **fields,
    }
    if not files:  # no file: a plain JSON body, as clients without photos send
        return client.post("/api/v1/events", json=data, headers=persona.headers)
    return client.post(
        "/api/v1/events",
        data={"data": json.dumps(data, ensure_ascii=False)},
        files=[("photos", (name, body, "image/jpeg")) for name, body in files],
        headers=persona.headers,
    )


def require_photos(db: Any, clock: Any, steps: str) -> None:
    cats.get_category(db, "E0102").photo_steps = steps
    db.flush()


def to_handled_state(db: Any, clock: Any, event: Any, dispatcher: Any, dept_staff: Any) -> None:
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    act(db, event, Action.DISPATCH, dispatcher.principal, clock.now())
    act(db, event, Action.SIGN, dept_staff.principal, clock.now())


def test_a_photo_sent_with_a_report_reads_back_upright_and_without_device_or_owner_data(
    client, db, clock, settings, categories, grid_worker
):
    sideways = camera_jpeg(400, 300, orientation=6, gps=GRID_A, taken=LOCAL_MORNING)
    r = post_event(client, grid_worker, [("IMG_0001.jpg", sideways)])
    assert r.status_code == 201, r.text
    ref = r.json()["public_id"]
    listed = client.get(f"/api/v1/events/{ref}/photos", headers=grid_worker.headers).json()
    assert [(p["step"], p["width"], p["height"]) for p in listed] == [("report", 300, 400)]
    assert listed[0]["distance_m"] == 0 and listed[0]["minutes_after_report"] == -30
    served = client.get(listed[0]["display_url"], headers=grid_worker.headers)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (300, 400)  # orientation 6 applied: the stored landscape is shown portrait
    assert image.getpixel((image.width - 5, 5))[0] > 180  # the red corner turned to the top right
    exif = image.getexif()
    assert MAKE not in exif and ARTIST not in exif and not exif.get_ifd(GPS_IFD)
    assert b"TestPhone" not in served.content and b"Zhang Wei" not in served.content
    thumb = client.get(listed[0]["thumb_url"], headers=grid_worker.headers)
    assert Image.open(io.BytesIO(thumb.content)).size == (240, 320)


def test_the_original_with_its_metadata_goes_only_to_roles_that_may_read_personal_data(
    client, db, clock, settings, categories, grid_worker, admin, dispatcher
):
    ref = post_event(client, grid_worker, [("a.jpg", camera_jpeg())]).json()["public_id"]
    (photo,) = client.get(f"/api/v1/events/{ref}/photos", headers=grid_worker.headers).json()
    original = f"/api/v1/events/{ref}/photos/{photo['id']}/original"
    assert client.get(original, headers=grid_worker.headers).status_code == 404
    assert client.get(original, headers=admin.headers).status_code == 404  # admin lacks pii:read
    got = client.get(original, headers=dispatcher.headers)  # the centre may read personal data
    assert got.status_code == 200 and b"TestPhone" in got.content and b"Zhang Wei" in got.content


def test_another_towns_user_gets_404_for_the_photo_list_and_file(
    client, db, clock, settings, categories, grid_worker
):
    ref = post_event(client, grid_worker, [("a.jpg", camera_jpeg())]).json()["public_id"]
    (photo,) = client.get(f"/api/v1/events/{ref}/photos", headers=grid_worker.headers).json()
    other_town = make_persona(db, "town_b", "town", now=clock.now(), area_code="320585101")
    for url in (
        f"/api/v1/events/{ref}/photos",
        photo["display_url"],
        f"/app/events/{ref}/photos/{photo['id']}/display",
        f"/app/events/{ref}/photos/{photo['id']}/thumb",
    ):
        assert client.get(url, headers=other_town.headers).status_code == 404, url
    assert (
        client.get(f"/app/events/{ref}/photos/{photo['id']}/thumb", headers=grid_worker.headers).status_code
        == 200
    )


def test_a_photo_id_of_another_event_is_not_found_through_this_event(
    client, db, clock, settings, categories, grid_worker
):
    first = post_event(client, grid_worker, [("a.jpg", camera_jpeg())]).json()["public_id"]
    second = post_event(client, grid_worker, [], description="另一处暴露垃圾，需要清运").json()["public_id"]
    (photo,) = client.get(f"/api/v1/events/{first}/photos", headers=grid_worker.headers).json()
    r = client.get(f"/api/v1/events/{second}/photos/{photo['id']}/display", headers=grid_worker.headers)
    assert (r.status_code, r.json()["code"]) == (404, "photo_not_found")


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("big.jpg", camera_jpeg(900, 900), 413, "photo_too_large"),
        ("notes.jpg", text_named_jpg(), 415, "photo_unsupported_type"),
        ("bomb.png", decompression_bomb(), 413, "photo_too_many_pixels"),
        ("huge.jpg", camera_jpeg(1100, 1000), 413, "photo_too_many_pixels"),
    ],
)
def test_a_refused_photo_stores_nothing_and_says_why(
    client, db, clock, settings, categories, grid_worker, name, body, status, code
):
    settings.photos_max_bytes = 12_000 if name == "big.jpg" else 15_000_000
    settings.photos_max_pixels = 1_000_000
    events_before = client.get("/api/v1/events", headers=grid_worker.headers).json()["total"]
    r = post_event(client, grid_worker, [("ok.png", png()), (name, body)])
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert name in r.json()["detail"]
    assert photo_rows(db) == 0 and stored_files(settings) == []
    assert client.get("/api/v1/events", headers=grid_worker.headers).json()["total"] == events_before


def test_more_photos_than_a_step_takes_are_refused(client, db, clock, settings, categories, grid_worker):
    settings.photos_max_per_step = 2
    r = post_event(client, grid_worker, [(f"{i}.png", png()) for i in range(3)])
    assert (r.status_code, r.json()["code"]) == (422, "photo_too_many")
    assert photo_rows(db) == 0 and stored_files(settings) == []


def test_the_same_bytes_twice_are_stored_once(client, db, clock, settings, categories, grid_worker):
    same = camera_jpeg()
    post_event(client, grid_worker, [("a.jpg", same)])
    post_event(client, grid_worker, [("b.jpg", same)], description="同一张照片再报一次垃圾")
    assert photo_rows(db) == 2
    assert len(stored_files(settings)) == 3  # one original, one display copy, one thumbnail


def test_a_category_that_requires_an_after_photo_refuses_handling_without_one(
    client, db, clock, settings, categories, dispatcher, dept_staff, grid_worker
):
    require_photos(db, clock, "handle")
    event = report(db, grid_worker.principal, clock.now())
    to_handled_state(db, clock, event, dispatcher, dept_staff)
    r = client.post(
        f"/api/v1/events/{event.public_id}/handle",
        json={"version": event.version, "note": "已清运"},
        headers=dept_staff.headers,
    )
    assert (r.status_code, r.json()["code"]) == (422, "event_photo_required")
    assert "handle" in r.json()["detail"]
    r = client.post(
        f"/api/v1/events/{event.public_id}/handle",
        data={"data": json.dumps({"version": event.version, "note": "已清运"})},
        files=[("photos", ("after.jpg", camera_jpeg(gps=GRID_A), "image/jpeg"))],
        headers=dept_staff.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "handled"
    rows = db.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id)).all()
    assert [(p.step, p.transition_id is not None) for p in rows] == [("handle", True)]


def test_the_workbench_refuses_handling_without_the_required_photo_in_chinese(
    client, db, clock, settings, categories, dispatcher, dept_staff, grid_worker
):
    require_photos(db, clock, "handle")
    event = report(db, grid_worker.principal, clock.now())
    to_handled_state(db, clock, event, dispatcher, dept_staff)
    form = {
        "csrf_token": dept_staff.csrf_token,
        "action": "handle",
        "version": str(event.version),
        "note": "已清运",
    }
    cookie = {"Cookie": dept_staff.headers["Cookie"]}
    r = client.post(f"/app/events/{event.public_id}/actions", data=form, headers=cookie)
    assert r.status_code == 422 and "本类事件在此环节须上传照片" in r.text
    r = client.post(
        f"/app/events/{event.public_id}/actions",
        data=form,
        files=[("photos", ("after.jpg", camera_jpeg(), "image/jpeg"))],
        headers=cookie,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_a_category_that_requires_a_report_photo_refuses_a_report_without_one(
    client, db, clock, settings, categories, grid_worker
):
    require_photos(db, clock, "report,handle")
    events_before = client.get("/api/v1/events", headers=grid_worker.headers).json()["total"]
    r = post_event(client, grid_worker, [])
    assert (r.status_code, r.json()["code"]) == (422, "event_photo_required")
    assert client.get("/api/v1/events", headers=grid_worker.headers).json()["total"] == events_before
    assert post_event(client, grid_worker, [("a.jpg", camera_jpeg())]).status_code == 201


def test_an_action_that_takes_no_photos_refuses_them(
    client, db, clock, settings, categories, dispatcher, grid_worker
):
    event = report(db, grid_worker.principal, clock.now())
    r = client.post(
        f"/api/v1/events/{event.public_id}/register",
        data={"data": json.dumps({"version": event.version})},
        files=[("photos", ("a.png", png(), "image/png"))],
        headers=dispatcher.headers,
    )
    assert (r.status_code, r.json()["code"]) == (422, "event_invalid")
    assert photo_rows(db) == 0


def test_a_handling_photo_taken_far_away_or_before_dispatch_is_flagged_not_refused(
    client, db, clock, settings, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, clock.now())
    to_handled_state(db, clock, event, dispatcher, dept_staff)
    far = (GRID_A[0] + 0.03, GRID_A[1])  # about 3.3 km north
    r = client.post(
        f"/api/v1/events/{event.public_id}/handle",
        data={"data": json.dumps({"version": event.version, "note": "已清运"})},
        files=[
            (
                "photos",
                ("far.jpg", camera_jpeg(gps=far, taken=LOCAL_MORNING + timedelta(hours=2)), "image/jpeg"),
            ),
            (
                "photos",
                ("early.jpg", camera_jpeg(gps=GRID_A, taken=datetime(2024, 9, 1, 8, 0)), "image/jpeg"),
            ),
            (
                "photos",
                ("fine.jpg", camera_jpeg(gps=GRID_A, taken=LOCAL_MORNING + timedelta(hours=2)), "image/jpeg"),
            ),
        ],
        headers=dept_staff.headers,
    )
    assert r.status_code == 200, r.text
    listed = client.get(f"/api/v1/events/{event.public_id}/photos", headers=dept_staff.headers).json()
    by_flags = [(p["step"], p["flags"]) for p in listed]
    assert by_flags == [("handle", ["far"]), ("handle", ["before_dispatch"]), ("handle", [])]
    assert 3000 < listed[0]["distance_m"] < 3600
    assert listed[2]["minutes_after_dispatch"] == 90


def test_the_verify_page_shows_before_and_after_with_distance_time_and_flags_in_chinese(
    client, db, clock, settings, categories, dispatcher, dept_staff, grid_worker
):
    ref = post_event(
        client, grid_worker, [("before.jpg", camera_jpeg(gps=GRID_A, taken=LOCAL_MORNING))]
    ).json()["public_id"]
    from citycockpit.events.queries import get_event

    event = get_event(db, ref)
    to_handled_state(db, clock, event, dispatcher, dept_staff)
    far = (GRID_A[0] + 0.03, GRID_A[1])
    client.post(
        f"/api/v1/events/{ref}/handle",
        data={"data": json.dumps({"version": event.version, "note": "已清运"})},
        files=[
            (
                "photos",
                ("after.jpg", camera_jpeg(gps=far, taken=LOCAL_MORNING + timedelta(hours=1)), "image/jpeg"),
            )
        ],
        headers=dept_staff.headers,
    )
    page = client.get(f"/app/events/{ref}", headers=grid_worker.headers)
    assert page.status_code == 200
    text = page.text
    before = text[text.index('id="photos-before"') : text.index('id="photos-after"')]
    after = text[text.index('id="photos-after"') : text.index("</section>", text.index('id="photos-after"'))]
    assert 'data-step="report"' in before and "距事件位置 0 米" in before and "上报前 30 分钟 拍摄" in before
    assert 'data-step="handle"' in after and "拍摄地点距事件超过 500 米" in after
    assert 'name="photos"' in text  # the verify form takes photos too


def test_categories_import_and_export_the_photo_steps(client, db, clock, categories, admin):
    yaml_text = """
categories:
- {code: E01, name: 市容环境, kind: event}
- {code: E0102, name: 暴露垃圾, kind: event, parent_code: E01, department: CGJ, handle_limit: 4,
   照片环节: "上报、处置"}
"""
    cats.import_categories(db, yaml_text.encode(), "c.yaml", actor=TESTER, now=clock.now())
    category = cats.get_category(db, "E0102")
    assert category.photo_steps == "report,handle"
    assert photos.required_photo_steps(category) == ["report", "handle"]
    exported = cats.export_categories(db, "yaml").decode()
    assert "photo_steps: report,handle" in exported
    page = client.get("/app/admin/categories", headers=admin.headers)
    assert "须拍照环节" in page.text and "上报、处置" in page.text


def test_an_unknown_photo_step_in_a_category_file_is_refused_by_row(db, clock, categories):
    from citycockpit.core.tabular import ImportFailed

    bad = """
categories:
- {code: E0102, name: 暴露垃圾, kind: event, parent_code: E01, department: CGJ, handle_limit: 4, photo_steps: close}
"""
    with pytest.raises(ImportFailed) as info:
        cats.import_categories(db, bad.encode(), "c.yaml", actor=TESTER, now=clock.now())
    assert "photo step 'close'" in str(info.value)


def test_open311_media_url_is_a_public_stripped_copy_only_for_requests_it_lists(
    client, db, clock, settings, categories, grid_worker
):
    ref = post_event(client, grid_worker, [("a.jpg", camera_jpeg(orientation=6, gps=GRID_A))]).json()[
        "public_id"
    ]
    (row,) = client.get(f"/open311/v2/requests/{ref}.json").json()
    media = row["media_url"]
    assert media.startswith("http://testserver/open311/v2/media/") and media.endswith(".jpg")
    served = client.get(media)  # no sign-in
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"TestPhone" not in served.content and Image.open(io.BytesIO(served.content)).size == (300, 400)
    hotline = post_event(
        client,
        grid_worker,
        [("b.jpg", camera_jpeg(color=(1, 2, 3)))],
        channel="hotline",
        description="热线反映暴露垃圾",
    ).json()["public_id"]
    hidden = [p for p in db.scalars(select(EventPhoto)).all() if p.sha256 != media.rsplit("/", 1)[1][:-4]]
    assert len(hidden) == 1
    assert client.get(f"/open311/v2/requests/{hotline}.json").status_code == 404
    assert client.get(f"/open311/v2/media/{hidden[0].sha256}.jpg").status_code == 404
    assert client.get("/open311/v2/media/" + "0" * 64 + ".jpg").status_code == 404


def test_a_media_url_given_at_intake_stays_the_published_one(
    client, db, clock, settings, categories, grid_worker
):
    ref = post_event(
        client, grid_worker, [("a.jpg", camera_jpeg())], media_urls=["https://photos.example/1.jpg"]
    ).json()["public_id"]
    (row,) = client.get(f"/open311/v2/requests/{ref}.json").json()
    assert row["media_url"] == "https://photos.example/1.jpg"


@pytest.mark.parametrize(
    ("name", "body", "mime", "size"),
    [
        ("IMG_0002.HEIC", heic(64, 48, orientation=6), "image/heic", (48, 64)),
        ("a.webp", webp(), "image/webp", (64, 48)),
        ("a.png", png(), "image/png", (64, 48)),
    ],
)
def test_heic_webp_and_png_photos_are_accepted_and_served_as_jpeg(
    client, db, clock, settings, categories, grid_worker, name, body, mime, size
):
    ref = post_event(client, grid_worker, [(name, body)]).json()["public_id"]
    (photo,) = client.get(f"/api/v1/events/{ref}/photos", headers=grid_worker.headers).json()
    assert (photo["mime"], (photo["width"], photo["height"])) == (mime, size)
    served = client.get(photo["display_url"], headers=grid_worker.headers)
    assert Image.open(io.BytesIO(served.content)).format == "JPEG"


def test_the_report_form_refuses_a_text_file_named_jpg_in_chinese_and_stores_nothing(
    client, db, clock, settings, categories, grid_worker
):
    form = {"csrf_token": grid_worker.csrf_token, "description": "东门街口有一堆暴露垃圾，气味很大"}
    r = client.post(
        "/app/events/new",
        data=form,
        files=[("photos", ("IMG_0003.jpg", text_named_jpg(), "image/jpeg"))],
        headers={"Cookie": grid_worker.headers["Cookie"]},
    )
    assert r.status_code == 422
    assert 'id="photos-error"' in r.text and "文件不是可识别的照片" in r.text
    assert photo_rows(db) == 0 and stored_files(settings) == []


def test_storing_photos_is_audited_with_the_step_and_each_hash(
    client, db, clock, settings, categories, grid_worker
):
    from citycockpit.audit.models import AuditEntry

    ref = post_event(client, grid_worker, [("a.jpg", camera_jpeg())]).json()["public_id"]
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "event.photos.add", AuditEntry.object_id == ref)
    ).one()
    (photo,) = client.get(f"/api/v1/events/{ref}/photos", headers=grid_worker.headers).json()
    diff = json.loads(entry.diff_json)
    assert diff == {"step": "report", "photos": [{"id": photo["id"], "sha256": photo["sha256"]}]}


def test_an_empty_file_field_as_browsers_send_it_is_no_photo(
    client, db, clock, settings, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, clock.now())
    to_handled_state(db, clock, event, dispatcher, dept_staff)
    form = {
        "csrf_token": dept_staff.csrf_token,
        "action": "handle",
        "version": str(event.version),
        "note": "已清运",
    }
    r = client.post(
        f"/app/events/{event.public_id}/actions",
        data=form,
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Cookie": dept_staff.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert photo_rows(db) == 0
